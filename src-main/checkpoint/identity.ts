/**
 * A checkpoint's identity: the sha256 of its content. The main process records it with every
 * result (and skips photos already restored with the same model); the engine keys its build
 * cache on it. One function, so both sides name the same model the same way.
 */
import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { sha256File } from '../util/file-hash.ts';
import { UserError } from '../util/errors.ts';

/** The files of a PMRF vectors folder that hold its weights (a whole checkpoint, or keys + kept tensors for the formula). */
export function vectorsCheckpointFiles(dir: string): string[] {
  const whole = path.join(dir, 'checkpoint.safetensors');
  return existsSync(whole) ? [whole] : [path.join(dir, 'keys.json'), path.join(dir, 'kept.safetensors')];
}

/** sha256 of a safetensors file, or a hash over a vectors folder's weight files. */
export async function checkpointIdentity(p: string): Promise<string> {
  if (existsSync(p) && statSync(p).isDirectory()) {
    const hash = createHash('sha256').update('vectors\n');
    for (const f of vectorsCheckpointFiles(p)) {
      if (!existsSync(f)) throw new UserError(`${p}: no checkpoint.safetensors nor keys.json + kept.safetensors (not a PMRF vectors folder?)`);
      hash.update(`${path.basename(f)}=${await sha256File(f)}\n`);
    }
    return hash.digest('hex');
  }
  if (!existsSync(p) || !statSync(p).isFile()) throw new UserError(`checkpoint ${p} is not a file`);
  return sha256File(p);
}
