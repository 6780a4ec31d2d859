import type { Command } from 'commander';
import { UserError } from '../../util/errors.ts';
import type { DownloadProgress } from '../../models/download.ts';
import { DEFAULT_MODEL_ID, findModelSpec } from '../../models/manifest.ts';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { howToInstall, importModel, installModel, listModels, findModel, type ArchitectureCheck, type ModelSource } from '../../models/manager.ts';
import { InferenceWorker } from '../../worker-client/client.ts';
import { forkWorker } from '../../worker-client/spawn-node.ts';
import { workerArchitectureCheck } from '../../worker-client/checkpoint-check.ts';

/** `heirloom models list|install|import|path`: manage the PMRF checkpoint. */

function mb(n: number): string {
  return `${(n / 1e6).toFixed(1)} MB`;
}

function clock(seconds: number): string {
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** One line of download progress, e.g. ` 45% 415.2/923.0 MB  12.3 MB/s  ETA 0:41`. */
export function formatProgress(p: DownloadProgress): string {
  const pct = p.total ? `${String(Math.floor((100 * p.bytes) / p.total)).padStart(3)}% ` : '';
  const amount = p.total ? `${(p.bytes / 1e6).toFixed(1)}/${mb(p.total)}` : mb(p.bytes);
  const speed = p.bytesPerSecond > 0 ? `  ${mb(p.bytesPerSecond)}/s` : '';
  const eta = p.etaSeconds !== undefined ? `  ETA ${clock(p.etaSeconds)}` : '';
  return `${pct}${amount}${speed}${eta}`;
}

const SOURCE_LABEL: Record<ModelSource, string> = {
  heirloom: 'installed',
  'hf-cache': 'in Hugging Face cache',
  env: 'from HEIRLOOM_MODEL',
};

/** Progress on stderr: a self-rewriting line on a terminal, a line every 10% otherwise. */
function progressPrinter(stream: NodeJS.WriteStream): { onProgress: (p: DownloadProgress) => void; done: () => void } {
  let lastDecile = -1;
  let drawn = false;
  return {
    onProgress(p) {
      if (stream.isTTY) {
        stream.write(`\r${formatProgress(p)}\x1b[K`);
        drawn = true;
        return;
      }
      const decile = p.total ? Math.floor((10 * p.bytes) / p.total) : -1;
      if (decile !== lastDecile) {
        lastDecile = decile;
        stream.write(`${formatProgress(p)}\n`);
      }
    },
    done() {
      if (drawn) stream.write('\n');
      drawn = false;
    },
  };
}

/** The architecture check through an inference process (started for the check, stopped after). */
async function withArchitectureCheck<T>(arch: string | undefined, fn: (check: ArchitectureCheck) => Promise<T>): Promise<T> {
  const worker = new InferenceWorker(forkWorker());
  try {
    // A meta.json path made absolute: the worker has its own working folder.
    const spec = arch === undefined ? null : existsSync(arch) ? path.resolve(arch) : arch;
    return await fn(workerArchitectureCheck(worker, spec));
  } finally {
    worker.dispose();
  }
}

function checkId(id: string): string {
  if (!findModelSpec(id)) throw new UserError(`unknown model "${id}" (see "heirloom models list")`);
  return id;
}

export function register(program: Command): void {
  const models = program.command('models').description('Manage the PMRF face-restoration checkpoint');

  models
    .command('list')
    .description('Show known models, whether they are installed, where and how big')
    .option('--json', 'machine-readable output')
    .action((opts: { json?: boolean }) => {
      const rows = listModels();
      if (opts.json) {
        const out = rows.map((r) => ({
          id: r.spec.id,
          name: r.spec.name,
          license: r.spec.license,
          status: r.location ? r.location.source : 'not-installed',
          path: r.location?.path ?? null,
          size: r.size ?? null,
          partialBytes: r.partialBytes,
        }));
        process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
        return;
      }
      for (const r of rows) {
        const status = r.location ? SOURCE_LABEL[r.location.source] : 'not installed';
        process.stdout.write(`${r.spec.id}  ${r.spec.name}  (${r.spec.license})\n`);
        process.stdout.write(`  status: ${status}\n`);
        if (r.location) process.stdout.write(`  path:   ${r.location.path}\n  size:   ${mb(r.size ?? 0)}\n`);
        else process.stdout.write(`  size:   about ${mb(r.spec.approxBytes)} to download from huggingface.co/${r.spec.repo}\n`);
        if (r.partialBytes > 0 && r.location?.source !== 'heirloom') {
          process.stdout.write(`  partial download: ${mb(r.partialBytes)} (run "heirloom models install" to resume)\n`);
        }
      }
    });

  models
    .command('install')
    .description('Download the checkpoint (resumes an interrupted download; reuses an existing Hugging Face cache)')
    .option('--force', 'download even if a usable copy already exists')
    .option('--id <id>', 'model id', DEFAULT_MODEL_ID)
    .option('--arch <preset|file>', "architecture the file is checked against (default: the model's own)")
    .action(async (opts: { force?: boolean; id: string; arch?: string }) => {
      const id = checkId(opts.id);
      const spec = findModelSpec(id)!;
      const ac = new AbortController();
      const onSigint = () => ac.abort();
      process.once('SIGINT', onSigint);
      const printer = progressPrinter(process.stderr);
      const onAnnounce = (a: { size: number | undefined; sha256: string | undefined }) => {
        // What the Hub says the published file is: the values to record in models/manifest.json.
        const recorded = spec.sha256 === null ? ' (models/manifest.json records none yet)' : '';
        process.stderr.write(`the server announces ${spec.file}: size ${a.size ?? 'unknown'}, sha256 ${a.sha256 ?? 'unknown'}${recorded}\n`);
      };
      try {
        const r = await withArchitectureCheck(opts.arch, (checkArchitecture) =>
          installModel({ id, force: opts.force, signal: ac.signal, onProgress: printer.onProgress, onAnnounce, checkArchitecture }),
        );
        printer.done();
        if (!r.changed) {
          process.stderr.write(`${id} is already available (${SOURCE_LABEL[r.source]}); use --force to download anyway\n`);
        } else {
          process.stderr.write(`installed ${id}: ${r.size} bytes (${mb(r.size)}), sha256 ${r.sha256}\n`);
        }
        process.stdout.write(`${r.path}\n`);
      } catch (err) {
        printer.done();
        if (ac.signal.aborted) throw new UserError('download cancelled; run "heirloom models install" again to resume', { exitCode: 130 });
        throw err;
      } finally {
        process.off('SIGINT', onSigint);
      }
    });

  models
    .command('import')
    .description('Copy a model.safetensors you already have into Heirloom (the original is left untouched)')
    .argument('<file>', 'the PMRF checkpoint (model.safetensors)')
    .option('--id <id>', 'model id', DEFAULT_MODEL_ID)
    .option('--arch <preset|file>', "architecture the file is checked against (default: the model's own)")
    .action(async (file: string, opts: { id: string; arch?: string }) => {
      const id = checkId(opts.id);
      const r = await withArchitectureCheck(opts.arch, (checkArchitecture) => importModel(file, { id, checkArchitecture }));
      process.stderr.write(`imported ${mb(r.size)}, sha256 ${r.sha256}\n`);
      if (r.published === false) process.stderr.write(`note: this is not the published ${findModelSpec(id)!.name} checkpoint (its sha256 differs); restores record which file they used\n`);
      process.stdout.write(`${r.path}\n`);
    });

  models
    .command('path')
    .description('Print the path of the checkpoint Heirloom will use')
    .option('--id <id>', 'model id', DEFAULT_MODEL_ID)
    .action((opts: { id: string }) => {
      const id = checkId(opts.id);
      const found = findModel(id);
      if (!found) throw new UserError(howToInstall(findModelSpec(id)!), { exitCode: 1 });
      process.stdout.write(`${found.path}\n`);
    });
}
