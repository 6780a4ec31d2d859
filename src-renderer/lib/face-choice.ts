// Which result a face gets in the saved photo, as the face panel offers it. Pure.
import type { FaceChange, FaceRecord } from '../../src-shared/ipc.ts';

/** 'setting': follow the Faithful/Realistic setting; 'custom': a fidelity between the two ends. */
export type FaceChoice = 'setting' | 'faithful' | 'realistic' | 'original' | 'custom';

export const FACE_CHOICES: readonly { value: Exclude<FaceChoice, 'custom'>; label: string }[] = [
  { value: 'setting', label: 'As in Settings' },
  { value: 'faithful', label: 'Faithful' },
  { value: 'realistic', label: 'Realistic' },
  { value: 'original', label: 'Keep the original' },
];

/** How a choice reads in the list; "As in Settings" names what the setting is now. */
export function choiceLabel(value: Exclude<FaceChoice, 'custom'>, settingFidelity: number | null): string {
  const c = FACE_CHOICES.find((x) => x.value === value)!;
  if (value !== 'setting' || settingFidelity === null) return c.label;
  const now = settingFidelity === 0 ? 'faithful' : settingFidelity === 1 ? 'realistic' : `${Math.round(settingFidelity * 100)}% realistic`;
  return `${c.label} (${now})`;
}

export function faceChoice(f: Pick<FaceRecord, 'include' | 'fidelity'>): FaceChoice {
  if (!f.include) return 'original';
  // Absent (an older record) follows the setting too.
  if (f.fidelity === null || f.fidelity === undefined) return 'setting';
  if (f.fidelity === 0) return 'faithful';
  if (f.fidelity === 1) return 'realistic';
  return 'custom';
}

/** The face change that makes `choice` the face's decision (a restored face is included again). */
export function changeFor(choice: Exclude<FaceChoice, 'custom'>): FaceChange {
  switch (choice) {
    case 'original':
      return { include: false };
    case 'setting':
      return { include: true, fidelity: null };
    case 'faithful':
      return { include: true, fidelity: 0 };
    case 'realistic':
      return { include: true, fidelity: 1 };
  }
}
