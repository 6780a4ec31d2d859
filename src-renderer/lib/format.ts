// Human-readable durations, sizes and speeds for progress displays. Pure: unit-tested without a DOM.

/** "less than a second", "42 s", "3 min 5 s", "1 h 20 min". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return 'unknown';
  const totalSeconds = Math.round(ms / 1000);
  if (totalSeconds < 1) return 'less than a second';
  if (totalSeconds < 60) return `${totalSeconds} s`;
  const totalMinutes = Math.floor(totalSeconds / 60);
  const seconds = totalSeconds % 60;
  if (totalMinutes < 60) return seconds === 0 ? `${totalMinutes} min` : `${totalMinutes} min ${seconds} s`;
  const hours = Math.floor(totalMinutes / 60);
  const minutes = totalMinutes % 60;
  return minutes === 0 ? `${hours} h` : `${hours} h ${minutes} min`;
}

/** Remaining-time text; null means the main process has no estimate yet. */
export function formatEta(ms: number | null): string {
  if (ms === null) return 'estimating time left…';
  if (ms < 1000) return 'almost done';
  return `about ${formatDuration(ms)} left`;
}

const UNITS = ['B', 'KB', 'MB', 'GB', 'TB'] as const;

/** Decimal units (as file managers and download pages show them): 1.2 GB. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return 'unknown size';
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < UNITS.length - 1) {
    value /= 1000;
    unit++;
  }
  const digits = unit === 0 || value >= 100 ? 0 : value >= 10 ? 1 : 2;
  return `${value.toFixed(digits)} ${UNITS[unit]}`;
}

export function formatSpeed(bytesPerSecond: number): string {
  if (!Number.isFinite(bytesPerSecond) || bytesPerSecond <= 0) return '—';
  return `${formatBytes(bytesPerSecond)}/s`;
}

/** Whole-percent string of a fraction, clamped to 0..100. */
export function formatPercent(fraction: number): string {
  if (!Number.isFinite(fraction)) return '0%';
  return `${Math.round(Math.min(1, Math.max(0, fraction)) * 100)}%`;
}

/** An estimate: "about 3 min", or "under a second". */
export function formatApprox(ms: number): string {
  if (Number.isFinite(ms) && ms >= 0 && ms < 1000) return 'under a second';
  return `about ${formatDuration(ms)}`;
}

/** Estimated time for a batch from the per-face estimate: "about 2 min for 3 faces". */
export function formatBatchEstimate(secondsPerFace: number | null, faces: number): string {
  if (secondsPerFace === null || !Number.isFinite(secondsPerFace)) return 'time per face unknown';
  if (faces <= 0) return `${formatApprox(secondsPerFace * 1000)} per face`;
  const noun = faces === 1 ? 'face' : 'faces';
  return `${formatApprox(secondsPerFace * faces * 1000)} for ${faces} ${noun}`;
}
