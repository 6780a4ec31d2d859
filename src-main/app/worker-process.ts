/** The inference process as an Electron utilityProcess (the app). */
import { utilityProcess } from 'electron';
import type { SpawnWorker, WorkerProcess } from '../worker-client/client.ts';

export function utilityWorker(entry: string, serviceName = 'Heirloom inference'): SpawnWorker {
  return (): WorkerProcess => {
    const child = utilityProcess.fork(entry, [], { serviceName, stdio: 'inherit' });
    return {
      get pid() {
        return child.pid;
      },
      send: (m) => child.postMessage(m),
      onMessage: (l) => child.on('message', l),
      onExit: (l) => child.once('exit', (code) => l(code)),
      kill: () => {
        child.kill();
      },
    };
  };
}
