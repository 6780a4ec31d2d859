/**
 * A photo's result key: what decides whether its restored file is still current. It is the
 * canonical JSON (keys sorted at every level) of
 *   - the effective restore settings the worker runs with, every field except the device
 *     (every execution provider computes the same restoration), so a settings field added later
 *     counts without a change here;
 *   - the user's decisions for each face (its place, include or skip, seed, per-face fidelity,
 *     drawn by hand), or null where the batch detects faces itself (the CLI);
 *   - per-photo inputs other stages add (a repair mask's hash, ...), by name.
 * Two results with equal keys made from the same photo bytes and model are the same picture.
 */
import type { DetectedFace } from '../../src-shared/faces.ts';
import type { RestoreSettings } from '../../src-shared/settings.ts';

/** What the key takes from a face: the stored record or the face as the batch restored it. */
export type FaceDecisionSource = DetectedFace & { include: boolean; seed: number; fidelity?: number | null };

/** Extra per-photo inputs (name -> a JSON value, e.g. a mask's sha256). */
export type PhotoInputs = Record<string, unknown>;

export function resultKey(settings: RestoreSettings, faces: readonly FaceDecisionSource[] | null, inputs: PhotoInputs = {}): string {
  // Written out in canonical key order (faces, inputs, restore): the same text as canonicalJson
  // of the whole object, with the settings part made once per settings object (a library-wide
  // check keys thousands of photos with one settings object).
  const f = canonicalJson(faces === null ? null : faces.map(faceDecision));
  return `{"faces":${f},"inputs":${canonicalJson(inputs)},"restore":${restorePart(settings)}}`;
}

const restoreParts = new WeakMap<RestoreSettings, string>();

function restorePart(settings: RestoreSettings): string {
  let part = restoreParts.get(settings);
  if (part === undefined) {
    const { device: _device, ...effective } = settings;
    // Absent and 'never' restore the same way (settings saved before aligned input lack it).
    part = canonicalJson({ ...effective, aligned: effective.aligned ?? 'never' });
    restoreParts.set(settings, part);
  }
  return part;
}

/** One face's part of the key. A skipped face's seed and fidelity change nothing in the picture. */
function faceDecision(f: FaceDecisionSource): Record<string, unknown> {
  const base = { box: f.box, points: f.points, include: f.include, manual: f.manual === true, skipped: f.skipped ?? null };
  return f.include ? { ...base, seed: f.seed, fidelity: f.fidelity ?? null } : base;
}

/** JSON with object keys sorted at every level and undefined members left out. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      const x = (v as Record<string, unknown>)[k];
      if (x !== undefined) out[k] = sortKeys(x);
    }
    return out;
  }
  return v;
}
