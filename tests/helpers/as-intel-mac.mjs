// Preloaded (`--import`) into a worker process to make it see an Intel Mac: process.platform
// 'darwin', process.arch 'x64'. Only the worker's native check reads them after start-up.
Object.defineProperty(process, 'platform', { value: 'darwin' });
Object.defineProperty(process, 'arch', { value: 'x64' });
