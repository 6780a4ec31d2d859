// How a photo's status reads in the gallery badge and the progress panel. Pure.
import type { JobProgress, PhotoStage, PhotoSummary } from '../../src-shared/ipc.ts';

export type Tone = 'neutral' | 'info' | 'busy' | 'success' | 'danger';

export interface Badge {
  label: string;
  tone: Tone;
}

export function photoBadge(p: Pick<PhotoSummary, 'status' | 'faceCount'> & { outOfDate?: boolean }): Badge {
  switch (p.status) {
    case 'new':
      return { label: 'New', tone: 'neutral' };
    case 'detected':
      return p.faceCount === 0
        ? { label: 'No faces', tone: 'neutral' }
        : { label: p.faceCount === 1 ? '1 face' : `${p.faceCount} faces`, tone: 'info' };
    case 'queued':
      return { label: 'Queued', tone: 'busy' };
    case 'restoring':
      return { label: 'Restoring', tone: 'busy' };
    case 'restored':
      if (p.outOfDate === true) return { label: 'Out of date', tone: 'info' };
      // Nothing was restored in a photo without faces: only a copy was saved.
      return p.faceCount === 0 ? { label: 'Saved, no faces', tone: 'neutral' } : { label: 'Restored', tone: 'success' };
    case 'failed':
      return { label: 'Failed', tone: 'danger' };
  }
}

/** What the face list says when a photo has no faces, by what happened to it. */
export function noFacesText(p: Pick<PhotoSummary, 'status'>, scale: number): string {
  const copy = scale > 1 ? `a copy enlarged ${scale}\u00d7` : 'an unchanged copy';
  switch (p.status) {
    case 'new':
      return 'Looking for faces…';
    case 'failed':
      return 'This photo could not be read, so no faces were looked for.';
    case 'restored':
      return `No faces found in this photo. Nothing was restored; ${copy} was saved.`;
    default:
      return `No faces found in this photo. Restoring it saves ${copy}.`;
  }
}

/**
 * Whether a batch would do anything for the photo: not restored yet, failed, or restored but
 * out of date. A current result is left alone (the queue would skip it).
 */
export function needsRestore(p: Pick<PhotoSummary, 'status' | 'outOfDate'>): boolean {
  if (p.status === 'queued' || p.status === 'restoring') return false;
  return p.status !== 'restored' || p.outOfDate;
}

/** The batch button's words: how many photos it restores, and how many of them are out of date. */
export function batchLabel(n: { selected: boolean; restore: number; outOfDate: number; upToDate?: number }): string {
  // Every photo it would act on is restored and current: say so rather than "(0)".
  if (n.restore === 0 && (n.upToDate ?? 0) > 0) return n.selected ? 'Selected photos are up to date' : 'All photos are up to date';
  const what = n.selected ? 'Restore selected' : 'Restore all';
  if (n.outOfDate === 0) return `${what} (${n.restore})`;
  if (n.outOfDate === n.restore) return `Restore ${n.outOfDate} out of date`;
  return `${what} (${n.restore}, ${n.outOfDate} out of date)`;
}

export const STAGES: readonly PhotoStage[] = ['decode', 'detect', 'repair', 'align', 'restore', 'paste', 'encode'];

const STAGE_LABELS: Record<PhotoStage, string> = {
  decode: 'Reading',
  detect: 'Finding faces',
  repair: 'Repairing the print',
  align: 'Aligning faces',
  restore: 'Restoring faces',
  paste: 'Blending back',
  encode: 'Saving',
};

export function stageLabel(stage: PhotoStage): string {
  return STAGE_LABELS[stage];
}

/** Overall fraction of a batch, counting the photo in progress by its stage fraction. */
export function jobFraction(p: Pick<JobProgress, 'done' | 'failed' | 'total' | 'current'>): number {
  if (p.total <= 0) return 0;
  const partial = p.current ? Math.min(1, Math.max(0, p.current.fraction)) : 0;
  return Math.min(1, (p.done + p.failed + partial) / p.total);
}

export function isJobActive(p: Pick<JobProgress, 'state'> | null): boolean {
  return p !== null && (p.state === 'queued' || p.state === 'running' || p.state === 'paused');
}

/** Short sentence for the screen-reader live region; changes only when the photo or state does. */
export function jobAnnouncement(p: JobProgress): string {
  const skipped = p.skipped ?? 0;
  const counts = `${p.done - skipped} of ${p.total} restored${skipped > 0 ? `, ${skipped} already up to date` : ''}${p.failed > 0 ? `, ${p.failed} failed` : ''}`;
  switch (p.state) {
    case 'queued':
      return `Batch queued: ${p.total} photos.`;
    case 'running':
      return p.current ? `Restoring ${p.current.name}. ${counts}.` : `Restoring. ${counts}.`;
    case 'paused':
      return p.current ? `Pausing after ${p.current.name}. ${counts}.` : `Paused. ${counts}.`;
    case 'done':
      return `Batch finished. ${counts}.`;
    case 'failed':
      return `Batch stopped with an error. ${counts}.`;
    case 'cancelled':
      return `Batch cancelled. ${counts}.`;
  }
}
