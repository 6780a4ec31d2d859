/** The inference process as a plain Node child (CLI, tests, dev server). */
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SpawnWorker, WorkerProcess } from './client.ts';

/** The worker's TypeScript entry; run through tsx (`--import tsx`). */
export const WORKER_ENTRY_TS = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'worker', 'entry.ts');
/** The media process's TypeScript entry (import headers, thumbnails, previews). */
export const MEDIA_WORKER_ENTRY_TS = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'worker', 'media-entry.ts');

export interface ForkOptions {
  entry?: string;
  /** Default: `--import tsx` for a .ts entry. */
  execArgv?: string[];
  env?: NodeJS.ProcessEnv;
}

export function forkWorker(options: ForkOptions = {}): SpawnWorker {
  const entry = options.entry ?? WORKER_ENTRY_TS;
  const execArgv = options.execArgv ?? (entry.endsWith('.ts') ? ['--import', 'tsx'] : []);
  return (): WorkerProcess => {
    const child = fork(entry, [], {
      execArgv,
      env: options.env ?? process.env,
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    return nodeChildWorker(child);
  };
}

/** A forked Node child (with an IPC channel) as the client's WorkerProcess. */
export function nodeChildWorker(child: ChildProcess): WorkerProcess {
  return {
    pid: child.pid,
    send: (m) => {
      if (child.connected) child.send(m);
    },
    onMessage: (l) => child.on('message', l),
    onExit: (l) => child.once('exit', (code) => l(code)),
    kill: () => child.kill('SIGKILL'),
  };
}
