// The project's one test command: `npm test` (all suites) or `npm test -- unit|integration|e2e|packaging`.
// Type-checks first, then runs node's test runner over the chosen suites with tsx.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const suites = ['unit', 'integration', 'e2e', 'packaging'];
const asked = process.argv.slice(2).filter((a) => suites.includes(a));
const chosen = asked.length > 0 ? asked : suites;

function findTests(dir) {
  let out = [];
  let entries = [];
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of entries.sort()) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) out = out.concat(findTests(p));
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: process.env });
  return r.status ?? 1;
}

if (!process.argv.includes('--no-typecheck')) {
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  console.log('> typecheck');
  if (run(process.execPath, [tsc, '-p', 'tsconfig.json', '--noEmit']) !== 0) {
    console.log('0 passed, 1 failed (typecheck)');
    process.exit(1);
  }
}

const files = chosen.flatMap((s) => findTests(path.join(root, 'tests', s)));
if (files.length === 0) {
  console.log('no test files found');
  process.exit(1);
}
const status = run(process.execPath, [
  '--import', 'tsx',
  '--test',
  '--test-concurrency=2',
  '--test-reporter=spec', '--test-reporter-destination=stdout',
  '--test-reporter=./scripts/count-reporter.mjs', '--test-reporter-destination=stdout',
  ...files.map((f) => path.relative(root, f)),
]);
process.exit(status);
