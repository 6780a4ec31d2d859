import manifestJson from '../../models/manifest.json' with { type: 'json' };

/**
 * The known models (models/manifest.json). Exact size and sha256 may be null: the download then
 * takes them from Hugging Face's response headers (X-Linked-Size / X-Linked-Etag).
 */
export interface ModelSpec {
  id: string;
  name: string;
  description: string;
  /** Hugging Face repo id, "owner/name". */
  repo: string;
  revision: string;
  /** File inside the repo. */
  file: string;
  /** Canonical URL (informational: downloads build it from HF_ENDPOINT + repo/revision/file). */
  url: string;
  /** For display before the server has told us the exact size. */
  approxBytes: number;
  size: number | null;
  sha256: string | null;
  license: string;
  /** Architecture preset the engine builds for this checkpoint. */
  arch: string;
  /** Every prefix must start at least one tensor name for the file to count as this model. */
  requiredPrefixes: string[];
}

export const DEFAULT_MODEL_ID = 'pmrf-blind-face-512';

function str(o: Record<string, unknown>, k: string, where: string): string {
  const v = o[k];
  if (typeof v !== 'string' || v === '') throw new Error(`${where}: "${k}" must be a non-empty string`);
  return v;
}

/** Validates the manifest's shape (it ships with the app, but a bad edit should fail loudly). */
export function parseManifest(raw: unknown): ModelSpec[] {
  const list = (raw as { models?: unknown } | null)?.models;
  if (!Array.isArray(list)) throw new Error('models/manifest.json: "models" must be an array');
  return list.map((m: unknown, i) => {
    const where = `models/manifest.json models[${i}]`;
    if (typeof m !== 'object' || m === null) throw new Error(`${where}: not an object`);
    const o = m as Record<string, unknown>;
    const { approxBytes, size, sha256, requiredPrefixes } = o;
    if (typeof approxBytes !== 'number' || !(approxBytes > 0)) throw new Error(`${where}: bad approxBytes`);
    if (size !== null && !(Number.isSafeInteger(size) && (size as number) > 0)) throw new Error(`${where}: bad size`);
    if (sha256 !== null && !(typeof sha256 === 'string' && /^[0-9a-f]{64}$/.test(sha256))) throw new Error(`${where}: bad sha256`);
    if (!Array.isArray(requiredPrefixes) || !requiredPrefixes.every((p) => typeof p === 'string')) {
      throw new Error(`${where}: bad requiredPrefixes`);
    }
    const repo = str(o, 'repo', where);
    if (!/^[\w.-]+\/[\w.-]+$/.test(repo)) throw new Error(`${where}: repo must be "owner/name"`);
    return {
      id: str(o, 'id', where),
      name: str(o, 'name', where),
      description: str(o, 'description', where),
      repo,
      revision: str(o, 'revision', where),
      file: str(o, 'file', where),
      url: str(o, 'url', where),
      approxBytes,
      size: size as number | null,
      sha256: sha256 as string | null,
      license: str(o, 'license', where),
      arch: str(o, 'arch', where),
      requiredPrefixes: requiredPrefixes as string[],
    };
  });
}

let cached: ModelSpec[] | undefined;

export function knownModels(): ModelSpec[] {
  cached ??= parseManifest(manifestJson);
  return cached;
}

/** The spec for `id`, or undefined. */
export function findModelSpec(id: string): ModelSpec | undefined {
  return knownModels().find((m) => m.id === id);
}
