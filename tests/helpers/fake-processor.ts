/**
 * A stand-in PhotoProcessor for queue tests: real decoding and encoding with sharp, no faces and
 * no model (the queue's behaviour does not depend on what the model computes). It records when
 * each stage starts and ends so tests can check the pipelining, and can be told to stall.
 */
import sharp from 'sharp';
import type { PhotoProcessor, Prepared } from '../../src-main/jobs/photo-processor.ts';

export interface StageEvent {
  photo: string;
  stage: 'prepare' | 'restore' | 'finish';
  edge: 'start' | 'end';
  at: number;
}

interface State {
  path: string;
  pixels: Buffer;
  width: number;
  height: number;
}

export class FakeProcessor implements PhotoProcessor<State, Buffer> {
  readonly description = 'fake (tests)';
  readonly #sha256: string;
  constructor(sha256: string = 'f'.repeat(64)) {
    this.#sha256 = sha256;
  }

  async modelSha256(): Promise<string> {
    return this.#sha256;
  }
  readonly events: StageEvent[] = [];
  /** Milliseconds each stage sleeps (simulates work; the restore stands for the model). */
  delays = { prepare: 0, restore: 0, finish: 0 };
  /** Called at the start of restore: lets a test pause or cancel at a precise point. */
  onRestore: ((path: string) => void) | null = null;

  #mark(photo: string, stage: StageEvent['stage'], edge: StageEvent['edge']): void {
    this.events.push({ photo, stage, edge, at: performance.now() });
  }

  async prepare(input: { path: string }, ctx: { signal: AbortSignal; onStage(s: 'decode' | 'detect' | 'align'): void }): Promise<Prepared<State>> {
    this.#mark(input.path, 'prepare', 'start');
    ctx.onStage('decode');
    const { data, info } = await sharp(input.path).autoOrient().removeAlpha().raw().toBuffer({ resolveWithObject: true });
    ctx.onStage('detect');
    await sleep(this.delays.prepare, ctx.signal);
    this.#mark(input.path, 'prepare', 'end');
    return { faces: [], detected: true, timingsMs: { decodeMs: 1 }, state: { path: input.path, pixels: data, width: info.width, height: info.height } };
  }

  async restore(p: Prepared<State>, ctx: { signal: AbortSignal; onStage(s: 'restore', f?: number): void }): Promise<{ state: Buffer; timingsMs: Record<string, number>; model: { description: string; sha256: string } }> {
    this.#mark(p.state.path, 'restore', 'start');
    this.onRestore?.(p.state.path);
    ctx.onStage('restore', 0);
    await sleep(this.delays.restore, ctx.signal);
    ctx.onStage('restore', 1);
    // Something visibly different from the input, computed from it.
    const out = Buffer.from(p.state.pixels.map((v) => 255 - v));
    this.#mark(p.state.path, 'restore', 'end');
    return { state: out, timingsMs: { restoreMs: 1 }, model: { description: this.description, sha256: this.#sha256 } };
  }

  async finish(
    p: Prepared<State>,
    restored: Buffer,
    targets: { image: string; sideBySide: string | null; before: string | null; after: string | null },
    ctx: { signal: AbortSignal; onStage(s: 'encode'): void },
  ): Promise<{ timingsMs: Record<string, number> }> {
    this.#mark(p.state.path, 'finish', 'start');
    ctx.onStage('encode');
    await sleep(this.delays.finish, ctx.signal);
    const raw = { raw: { width: p.state.width, height: p.state.height, channels: 3 as const } };
    await sharp(restored, raw).toFile(targets.image);
    if (targets.sideBySide !== null) {
      await sharp({ create: { width: p.state.width * 2, height: p.state.height, channels: 3, background: '#000' } })
        .composite([
          { input: p.state.pixels, ...raw, left: 0, top: 0 },
          { input: restored, ...raw, left: p.state.width, top: 0 },
        ])
        .toFile(targets.sideBySide);
    }
    if (targets.before !== null) await sharp(p.state.pixels, raw).toFile(targets.before);
    if (targets.after !== null) await sharp(restored, raw).toFile(targets.after);
    this.#mark(p.state.path, 'finish', 'end');
    return { timingsMs: { encodeMs: 1 } };
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(t);
      reject(signal.reason);
    }, { once: true });
  });
}
