// Preload (`node -r ./tests/helpers/sharp-wasm.cjs ...`) that hides sharp's native Linux binaries, so
// sharp falls back to its WebAssembly build (@img/sharp-wasm32), as in the Linux desktop app,
// whose package does not ship the native ones. For comparing the two in benchmarks and tests.
const Module = require('node:module');
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (/^@img\/sharp-(linux|linuxmusl|libvips)/.test(request)) {
    const err = new Error(`Cannot find module '${request}' (hidden by tests/helpers/sharp-wasm.cjs)`);
    err.code = 'MODULE_NOT_FOUND';
    throw err;
  }
  return resolve.call(this, request, ...rest);
};
