/**
 * The batch queue's three steps for one photo (prepare, restore, finish), run by the main
 * process's queue through the protocol; the photo's pixels stay here under the queue's token.
 */
import { engineFor, keepPrepared, release, reportEngineStatus, slot } from '../engine-state.ts';
import { stageContext, type Handlers } from './context.ts';

export const batchHandlers: Handlers<'prepare' | 'restore' | 'finish' | 'release'> = {
  prepare: async ({ token, engine, input }, ctx) => {
    const { processor } = await engineFor(engine);
    const p = await processor.prepare(input, stageContext(ctx));
    keepPrepared(token, { processor, prepared: p });
    return {
      faces: p.faces,
      detected: p.detected,
      ...(p.alignedInput === undefined ? {} : { alignedInput: p.alignedInput }),
      ...(p.looksAligned === undefined ? {} : { looksAligned: p.looksAligned }),
      ...(p.scaleLowered === undefined ? {} : { scaleLowered: p.scaleLowered }),
      ...(p.damage === undefined ? {} : { damage: p.damage }),
      ...(p.repair === undefined ? {} : { repair: p.repair }),
      ...(p.colour === undefined ? {} : { colour: p.colour }),
      timingsMs: p.timingsMs,
    };
  },

  restore: async ({ token }, ctx) => {
    const s = slot(token);
    // The first restore loads (maybe builds) the model: the caller hears about it.
    reportEngineStatus(ctx.status);
    const r = await s.processor.restore(s.prepared, stageContext(ctx));
    s.restored = r.state;
    return { timingsMs: r.timingsMs, description: r.model.description, modelSha256: r.model.sha256 };
  },

  finish: async ({ token, targets, pairLabels }, ctx) => {
    const s = slot(token);
    if (s.restored === null) throw new Error(`photo ${token} was not restored before finishing`);
    try {
      return await s.processor.finish(s.prepared, s.restored, targets, stageContext(ctx), pairLabels);
    } finally {
      release(token);
    }
  },

  release: async ({ token }) => {
    release(token);
    return {};
  },
};
