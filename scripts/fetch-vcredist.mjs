// Release step before `electron-builder --win`: puts Microsoft's Visual C++ redistributable
// (x64) where the NSIS installer bundles it (resources/installer.nsh). Not kept in git.
// Usage: node scripts/fetch-vcredist.mjs
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const URL_X64 = 'https://aka.ms/vs/17/release/vc_redist.x64.exe';
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'resources', 'windows', 'vc_redist.x64.exe');

const res = await fetch(URL_X64, { redirect: 'follow' });
if (!res.ok) throw new Error(`download of ${URL_X64} failed: HTTP ${res.status}`);
const bytes = Buffer.from(await res.arrayBuffer());
// A Windows executable starts with "MZ"; anything else (an HTML error page) must not ship.
if (bytes.length < 1_000_000 || bytes.subarray(0, 2).toString('latin1') !== 'MZ') {
  throw new Error(`${URL_X64} did not return the redistributable (${bytes.length} bytes)`);
}
await mkdir(path.dirname(out), { recursive: true });
await writeFile(`${out}.tmp`, bytes);
await rename(`${out}.tmp`, out);
console.log(`${path.relative(root, out)}: ${(bytes.length / 1e6).toFixed(1)} MB from ${URL_X64}`);
