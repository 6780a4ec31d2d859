/**
 * What the inference process keeps between calls: one PMRF restorer (rebuilt when the model,
 * architecture, face size or device changes) and the photos a batch has prepared, by token.
 */
import type { EngineSpec } from '../../src-shared/worker-protocol.ts';
import { createPmrfRestorer } from './inference/pmrf-restorer.ts';
import { PipelineProcessor, type PreparedStep } from './photo-stages.ts';
import type { FaceRestorer, RestoredFaces, RestoreOptions } from './pipeline/face-restorer.ts';

/** A FaceRestorer that loads the model on first use, so preparing a photo needs no model. */
class LazyRestorer implements FaceRestorer {
  readonly faceSize: number;
  readonly #spec: EngineSpec;
  #real: Promise<FaceRestorer> | null = null;
  #description: string;
  #modelSha256: string | null = null;
  /** Where notes about loading the model go (the call that triggers the load). */
  onStatus: (message: string) => void = () => {};

  constructor(spec: EngineSpec) {
    this.#spec = spec;
    this.faceSize = spec.faceSize;
    this.#description = `PMRF (${spec.checkpoint}, not loaded yet)`;
  }

  get description(): string {
    return this.#description;
  }

  /** Known once the model is loaded (its checkpoint is hashed then). */
  get modelSha256(): string | null {
    return this.#modelSha256;
  }

  async restore(faces: Float32Array, n: number, options: RestoreOptions): Promise<RestoredFaces> {
    this.#real ??= createPmrfRestorer({
      model: this.#spec.checkpoint,
      arch: this.#spec.arch ?? undefined,
      device: this.#spec.device,
      imageSize: this.#spec.faceSize,
      onStatus: (m) => this.onStatus(m),
    });
    this.#real.catch(() => {
      this.#real = null;
    });
    const real = await this.#real;
    this.#description = real.description;
    this.#modelSha256 = real.modelSha256 ?? null;
    return real.restore(faces, n, options);
  }

  async dispose(): Promise<void> {
    const real = this.#real;
    this.#real = null;
    if (real) await (await real).dispose();
  }
}

let current: { key: string; restorer: LazyRestorer; processor: PipelineProcessor } | null = null;

function keyOf(spec: EngineSpec): string {
  return JSON.stringify([spec.checkpoint, spec.arch, spec.faceSize, spec.device]);
}

/**
 * The processor (and its restorer) for a spec; the previous model is disposed on a change.
 * `onStatus` receives notes while this call loads the model.
 */
export async function engineFor(spec: EngineSpec, onStatus?: (message: string) => void): Promise<{ restorer: FaceRestorer; processor: PipelineProcessor }> {
  const key = keyOf(spec);
  if (current?.key !== key) {
    const old = current;
    const restorer = new LazyRestorer(spec);
    current = { key, restorer, processor: new PipelineProcessor({ restorer }) };
    // Prepared photos of the old engine cannot be restored by the new one.
    prepared.clear();
    if (old) await old.restorer.dispose();
  }
  if (onStatus !== undefined) current!.restorer.onStatus = onStatus;
  return current!;
}

interface Slot {
  processor: PipelineProcessor;
  prepared: PreparedStep;
  restored: RestoredFaces | null;
}

/** A few photos at most: the one in the model and the ones prefetched behind it. */
const MAX_SLOTS = 4;
const prepared = new Map<number, Slot>();

export function keepPrepared(token: number, slot: Omit<Slot, 'restored'>): void {
  prepared.set(token, { ...slot, restored: null });
  while (prepared.size > MAX_SLOTS) prepared.delete(prepared.keys().next().value!);
}

export function slot(token: number): Slot {
  const s = prepared.get(token);
  if (s === undefined) throw new Error(`photo ${token} is no longer prepared in the inference process (it restarted); retry the photo`);
  return s;
}

export function release(token: number): void {
  prepared.delete(token);
}

/** Sends notes about loading the current model to this listener (the call now running). */
export function reportEngineStatus(listener: (message: string) => void): void {
  if (current !== null) current.restorer.onStatus = listener;
}
