import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { DetectedFace } from '../../src-shared/faces.ts';
import type { RestoreSettings } from '../../src-shared/settings.ts';
import type { ColourReport, RepairReport } from '../../src-shared/worker-protocol.ts';

/**
 * Everything needed to reproduce one output exactly: the input's content hash, the settings,
 * the model (description and checkpoint sha256) and each face with the seed it was restored with.
 */
export interface Sidecar {
  format: 'heirloom-sidecar';
  version: 1;
  /** `damage`: what was missing from a damaged file that could still be read. */
  input: { name: string; sha256: string; size: number; damage?: string };
  /** `scale`: the scale the image was written at; `note`: why it is lower than settings.scale, if it is. */
  output: { image: string; pairs: string[]; scale: number; note?: string };
  settings: RestoreSettings;
  model: { description: string; sha256: string | null };
  faces: (DetectedFace & { index: number; include: boolean; seed: number })[];
  timingsMs: Record<string, number>;
  /** The print repair (settings.repair): pixels filled, lines and specks found, detected or the user's mask. */
  repair?: RepairReport;
  /** The colour correction (settings.fixColour): done or why not, the levels, the cast before and after. */
  colour?: ColourReport;
  createdAt: string;
}

export function buildSidecar(s: Omit<Sidecar, 'format' | 'version' | 'createdAt'>): Sidecar {
  return {
    format: 'heirloom-sidecar',
    version: 1,
    ...s,
    output: { ...s.output, image: path.basename(s.output.image), pairs: s.output.pairs.map((p) => path.basename(p)) },
    createdAt: new Date().toISOString(),
  };
}

export function writeSidecar(file: string, sidecar: Sidecar): void {
  writeFileSync(file, `${JSON.stringify(sidecar, null, 2)}\n`);
}
