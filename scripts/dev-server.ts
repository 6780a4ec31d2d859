/**
 * Heirloom without Electron: the real services behind the WebSocket test transport, serving the
 * built renderer, for Playwright e2e tests and renderer development.
 *
 *   node --import tsx scripts/dev-server.ts --port 5180 --data <dir> --pick <path>...
 *
 * --port <n>           port on 127.0.0.1 (0 = any free port; default 5180)
 * --data <dir>         app data folder: library database, cache, models (required; sets HEIRLOOM_HOME)
 * --pick <path>        what the import dialog returns (repeatable; none = the dialog is cancelled)
 * --pick-output <dir>  what the output-folder dialog returns
 * --pick-model <file>  what the model-import dialog returns
 * --allow <path>       paths accepted by library:importDropped, as if dropped (repeatable)
 * --static <dir>       built renderer to serve (default dist-renderer)
 * --origin <url>       another origin allowed to connect, e.g. a Vite dev server (repeatable)
 * --model <file>       PMRF checkpoint to run instead of the installed model (e.g. the tiny test model)
 * --arch <preset|file> its architecture (preset name or meta.json)
 * --face-size <px>     aligned face size (default: the meta.json's config.image_size, else 512)
 *
 * Prints `heirloom dev server: http://127.0.0.1:PORT/` once it listens; stops on SIGINT/SIGTERM.
 * Tests may change the picker's answers at run time: POST /__test/picker with
 * {"imports": [...], "outputFolder": "...", "modelFile": "..."}, and POST /__test/allow {"paths": [...]}.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startWsTransport } from '../src-main/ipc/ws-transport.ts';
import { ConfiguredPicker } from '../src-main/services/configured-picker.ts';
import { createAppServices } from '../src-main/services/create.ts';
import { DEFAULT_ENGINE, type EngineConfig } from '../src-main/services/engine-config.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '5180' },
      data: { type: 'string' },
      pick: { type: 'string', multiple: true },
      'pick-output': { type: 'string' },
      'pick-model': { type: 'string' },
      allow: { type: 'string', multiple: true },
      static: { type: 'string' },
      origin: { type: 'string', multiple: true },
      model: { type: 'string' },
      arch: { type: 'string' },
      'face-size': { type: 'string' },
    },
    strict: true,
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port: not a port number: ${values.port}`);
  if (values.data === undefined) throw new Error('--data <dir> is required (the app data folder for this run)');
  const dataDir = path.resolve(values.data);
  mkdirSync(dataDir, { recursive: true });
  // Models and caches of this run live in its data folder, never in the user's.
  process.env.HEIRLOOM_HOME = dataDir;

  const picker = new ConfiguredPicker();
  picker.imports = values.pick?.map((p) => path.resolve(p)) ?? null;
  picker.outputFolderAnswer = values['pick-output'] ? path.resolve(values['pick-output']) : null;
  picker.modelFileAnswer = values['pick-model'] ? path.resolve(values['pick-model']) : null;

  const staticDir = path.resolve(values.static ?? path.join(root, 'dist-renderer'));
  if (!existsSync(path.join(staticDir, 'index.html'))) {
    console.error(`heirloom dev server: warning: ${staticDir}/index.html not found (build the renderer first); serving the API only`);
  }

  const app = await createAppServices({ dataDir, picker, engine: engineFromFlags(values.model, values.arch, values['face-size']) });
  app.services.allowDropped((values.allow ?? []).map((p) => path.resolve(p)));
  const transport = await startWsTransport({ services: app.services, port, staticDir, extraOrigins: values.origin, picker });
  console.log(`heirloom dev server: ${transport.url}`);

  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await transport.close();
    await app.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

function engineFromFlags(model: string | undefined, arch: string | undefined, faceSize: string | undefined): EngineConfig {
  let size = DEFAULT_ENGINE.faceSize;
  if (faceSize !== undefined) {
    size = Number(faceSize);
    if (!Number.isInteger(size) || size < 64 || size % 64 !== 0) throw new Error(`--face-size: expected a multiple of 64, got ${faceSize}`);
  } else if (arch !== undefined && arch.endsWith('.json')) {
    // A test model's meta.json says the size it was made for.
    const meta = JSON.parse(readFileSync(arch, 'utf8')) as { config?: { image_size?: unknown } };
    if (typeof meta.config?.image_size === 'number') size = meta.config.image_size;
  }
  return {
    model: model === undefined ? null : path.resolve(model),
    arch: arch === undefined ? null : arch.endsWith('.json') ? path.resolve(arch) : arch,
    faceSize: size,
  };
}

main().catch((err: unknown) => {
  console.error(`heirloom dev server: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
