import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import path from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../helpers/shared.ts';

type Hook = (context: { electronPlatformName: string; arch: number; packager: { projectDir: string } }) => Promise<void>;
const beforePack = createRequire(import.meta.url)(path.join(repoRoot, 'scripts', 'before-pack.cjs')) as Hook & {
  sharpPackages(platform: string, arch: string): string[];
};
// electron-builder's Arch enum: x64 = 1, arm64 = 3.
const X64 = 1;
const at = (electronPlatformName: string, arch = X64) => ({ electronPlatformName, arch, packager: { projectDir: repoRoot } });

test('packaging for a platform whose sharp binaries are not installed stops with what to do', async () => {
  const foreign = process.platform === 'win32' ? 'darwin' : 'win32';
  const pkg = beforePack.sharpPackages(foreign, 'x64')[0];
  await assert.rejects(beforePack(at(foreign)), (err: Error) => {
    assert.ok(err.message.includes(pkg), err.message);
    assert.match(err.message, new RegExp(`npm install --no-save --os=${foreign} --cpu=x64 sharp`));
    return true;
  });
});

test("the Linux app needs sharp's WebAssembly build, which is installed for every CPU", async () => {
  assert.deepEqual(beforePack.sharpPackages('linux', 'arm64'), ['@img/sharp-wasm32']);
  await beforePack(at('linux', 3));
  await beforePack(at('linux', X64));
});
