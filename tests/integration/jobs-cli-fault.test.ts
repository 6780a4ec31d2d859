/**
 * The real `heirloom restore` in a child process with the tiny PMRF test model: killed with
 * SIGKILL in the middle of a batch, then rerun. Nothing is half-written, duplicated or redone.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import sharp from 'sharp';
import { projectFixtures, repoRoot, sharedPath } from '../helpers/shared.ts';

const photos = sharedPath('fixtures', 'photos');
const tiny = path.join(projectFixtures, 'pmrf', 'tiny');
const modelArgs = ['--model', path.join(tiny, 'checkpoint.safetensors'), '--arch', path.join(tiny, 'meta.json'), '--steps', '1', '--face-size', '64'];

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  stdout: string;
}

type OnLine = (line: string, kill: (signal?: NodeJS.Signals) => void, pid: number) => void;

/** Why read-only mounts cannot be tested here, or null when they can (root, unshare allowed). */
function mountNamespaceUnavailable(): string | null {
  if (process.getuid?.() !== 0) return 'needs root for a mount namespace';
  const r = spawnSync('unshare', ['-m', 'true'], { encoding: 'utf8' });
  return r.status === 0 ? null : `unshare -m is not allowed here (${(r.stderr || r.error?.message || '').trim()})`;
}
const noMounts = mountNamespaceUnavailable();

/**
 * Puts a read-only view over a folder inside a mount namespace (root only). A new bind mount,
 * because remounting one with files open for writing (the batch database) is refused as busy.
 */
const READ_ONLY_BIND = 'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0"';

/**
 * Runs the CLI; `onLine` sees each stderr line and may kill the process. With `mountAt`, the CLI
 * runs in its own mount namespace where that folder is a bind mount of itself (root only), so a
 * test can make it read-only for the CLI alone, which chmod cannot do to root; the folder itself
 * stays writable for the test and for a rerun.
 */
function heirloom(args: string[], home: string, onLine?: OnLine, options: { mountAt?: string; readOnly?: boolean } = {}): Promise<Run> {
  const cli = [process.execPath, path.join(repoRoot, 'bin', 'heirloom.mjs'), ...args];
  const mount = options.readOnly ? READ_ONLY_BIND : 'mount --bind "$0" "$0"';
  const [cmd, ...argv] = options.mountAt === undefined ? cli : ['unshare', '-m', 'sh', '-c', `${mount} && exec "$@"`, options.mountAt, ...cli];
  return new Promise((resolve, reject) => {
    const child = spawn(cmd!, argv, {
      cwd: repoRoot,
      env: { ...process.env, HEIRLOOM_HOME: home },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    let stdout = '';
    let pending = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderr += chunk;
      pending += chunk;
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        onLine?.(line, (signal = 'SIGKILL') => child.kill(signal), child.pid!);
      }
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stderr, stdout }));
  });
}

function items(out: string): { name: string; state: string; attempts: number; error: string | null }[] {
  const db = new Database(path.join(out, '.heirloom', 'library.db'), { readonly: true });
  try {
    return db
      .prepare(
        `SELECT p.path AS path, i.state AS state, i.attempts AS attempts, i.error AS error
         FROM job_items i JOIN photos p ON p.id = i.photo_id ORDER BY i.job_id, i.position`,
      )
      .all()
      .map((r) => {
        const row = r as { path: string; state: string; attempts: number; error: string | null };
        return { name: path.basename(row.path), state: row.state, attempts: row.attempts, error: row.error };
      });
  } finally {
    db.close();
  }
}

test('killed mid-batch, the rerun resumes: no half-written, duplicated or redone output; bad photos fail alone', { skip: photos.skip, timeout: 240_000 }, async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'heirloom-fault-'));
  try {
    const album = path.join(dir, 'album');
    const out = path.join(dir, 'out');
    const home = path.join(dir, 'home');
    cpSync(photos.path, album, { recursive: true });
    // A damaged scan in the middle of the batch (sorted between film-still and group-band), cut
    // inside its header: nothing of the picture can be read (one cut later is restored as far as it goes).
    const jpg = readFileSync(path.join(album, 'scan-two-children-2.jpg'));
    writeFileSync(path.join(album, 'g-damaged.jpg'), jpg.subarray(0, 2000));
    const args = ['restore', album, '-o', out, '--pairs', 'side-by-side', ...modelArgs];

    let restored = 0;
    const first = await heirloom(args, home, (line, kill) => {
      if (line.includes(' -> ') && ++restored === 3) kill();
    });
    assert.equal(first.signal, 'SIGKILL', first.stderr);
    const afterKill = items(out);
    const doneFirst = afterKill.filter((i) => i.state === 'done').map((i) => i.name);
    // The photo in progress when the process died (if the kill landed after its claim).
    const interrupted = afterKill.filter((i) => i.state === 'running').map((i) => i.name);
    assert.ok(interrupted.length <= 1);
    assert.ok(doneFirst.length >= 3 && doneFirst.length < 9, `killed mid-batch (${doneFirst.length} done)`);
    const mtimes = new Map(
      readdirSync(out)
        .filter((n) => doneFirst.some((d) => n.startsWith(path.parse(d).name + '.')))
        .map((n) => [n, statSync(path.join(out, n)).mtimeMs]),
    );
    assert.equal(mtimes.size, doneFirst.length * 3, 'image, pair and sidecar of each finished photo');

    // Rerun; delete a photo that has not been reached yet as soon as the batch is under way.
    let deleted = false;
    const second = await heirloom(args, home, (line) => {
      if (!deleted && line.includes(' -> ')) {
        rmSync(path.join(album, 'scan-two-children-2.jpg'));
        deleted = true;
      }
    });
    assert.equal(second.code, 1, `exit 1 because photos failed\n${second.stderr}`);
    assert.match(second.stderr, /resuming batch 1/);
    for (const name of doneFirst) assert.match(second.stderr, new RegExp(`${name.replace('.', '\\.')}: already restored`));

    const final = items(out);
    const byName = new Map(final.map((i) => [i.name, i]));
    assert.equal(final.length, 9, 'one job, resumed (no second job)');
    assert.equal(byName.get('g-damaged.jpg')!.state, 'failed');
    assert.equal(byName.get('scan-two-children-2.jpg')!.state, 'failed');
    assert.match(byName.get('scan-two-children-2.jpg')!.error ?? '', /missing|no such file|not found|does not exist|not there any more/i);
    const ok = final.filter((i) => i.state === 'done');
    assert.equal(ok.length, 7);
    for (const name of doneFirst) assert.equal(byName.get(name)!.attempts, 1, `${name} restored once`);
    for (const name of interrupted) assert.equal(byName.get(name)!.attempts, 2, `${name} retried after the kill`);

    const files = readdirSync(out);
    assert.ok(!files.some((n) => n.includes(' (2)')), `no duplicates: ${files.join(', ')}`);
    assert.ok(!files.some((n) => n.startsWith('.') && n !== '.heirloom'), `no temporary files: ${files.join(', ')}`);
    for (const [n, m] of mtimes) assert.equal(statSync(path.join(out, n)).mtimeMs, m, `${n} untouched by the rerun`);
    const images = files.filter((n) => /\.(restored|before-after)\.jpg$/.test(n));
    assert.equal(images.length, 14);
    for (const n of images) {
      const meta = await sharp(path.join(out, n)).metadata();
      assert.ok((meta.width ?? 0) > 0, n);
      await sharp(path.join(out, n)).stats(); // decodes the whole file
    }
    const summary = JSON.parse(readFileSync(path.join(out, 'heirloom-summary.json'), 'utf8'));
    assert.equal(summary.counts.failed, 2);
    assert.equal(summary.counts.restored + summary.counts.skipped, 7);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an unusable output folder is a clear error, not a stack', { skip: photos.skip, timeout: 120_000 }, async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'heirloom-fault-'));
  try {
    const album = path.join(dir, 'album');
    mkdirSync(album);
    cpSync(path.join(photos.path, 'boy-railing-1.jpg'), path.join(album, 'boy.jpg'));
    const home = path.join(dir, 'home');
    const notAFolder = path.join(dir, 'file.txt');
    writeFileSync(notAFolder, 'x');
    const r = await heirloom(['restore', album, '-o', notAFolder, ...modelArgs], home);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^heirloom: .*file\.txt/m);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');

    // A read-only folder (a locked SD card, a read-only mount): chmod for users, a read-only tmpfs for root.
    const ro = path.join(dir, 'ro');
    mkdirSync(ro);
    let r2: Run;
    if (process.getuid?.() === 0) {
      if (noMounts !== null) {
        t.diagnostic(`read-only folder not tested: ${noMounts}`);
        return;
      }
      r2 = await heirloom(['restore', album, '-o', ro, ...modelArgs], home, undefined, { mountAt: ro, readOnly: true });
    } else {
      chmodSync(ro, 0o555);
      r2 = await heirloom(['restore', album, '-o', ro, ...modelArgs], home);
      chmodSync(ro, 0o755);
    }
    assert.equal(r2.code, 2, r2.stderr);
    assert.match(r2.stderr, /^heirloom: .*(read-only|permission|cannot)/im);
    assert.doesNotMatch(r2.stderr, /\n\s+at /, 'no stack trace');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an output folder that turns read-only mid-batch stops the batch clearly; once writable, the rerun finishes it', { skip: photos.skip || (noMounts ?? false), timeout: 180_000 }, async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'heirloom-fault-'));
  try {
    const album = path.join(dir, 'album');
    cpSync(photos.path, album, { recursive: true });
    const out = path.join(dir, 'out');
    mkdirSync(out);
    const home = path.join(dir, 'home');
    const args = ['restore', album, '-o', out, ...modelArgs];
    let remounted = false;
    const first = await heirloom(args, home, (line, _kill, pid) => {
      if (!remounted && line.includes(' -> ')) {
        remounted = true;
        // In the CLI's mount namespace the folder turns read-only, as a failing or locked disk does.
        const m = spawnSync('nsenter', ['-t', String(pid), '-m', 'sh', '-c', READ_ONLY_BIND, out], { encoding: 'utf8' });
        assert.equal(m.status, 0, m.stderr);
      }
    }, { mountAt: out });
    assert.ok(remounted, first.stderr);
    assert.equal(first.code, 2, first.stderr);
    assert.match(first.stderr, /^heirloom: the output folder .* is read-only; fix that and run the same command again/m);
    assert.doesNotMatch(first.stderr, /\n\s+at /, 'no stack trace');
    const doneFirst = [...first.stderr.matchAll(/^(\S+) -> /gm)].map((m) => m[1]);
    assert.ok(doneFirst.length >= 1);

    // The folder is writable again (outside that namespace it always was): the rerun does the rest only.
    const second = await heirloom(args, home);
    assert.equal(second.code, 0, second.stderr);
    for (const name of doneFirst) assert.match(second.stderr, new RegExp(`^${name}: already restored`, 'm'));
    const restored = readdirSync(out).filter((n) => n.includes('.restored.') && !n.endsWith('.json'));
    assert.equal(restored.length, readdirSync(photos.path).filter((n) => /\.(jpe?g|png)$/i.test(n)).length, `one output per photo: ${restored.join(', ')}`);
    assert.ok(!readdirSync(out).some((n) => n.includes('(2)') || n.endsWith('.tmp')), 'no duplicate and no temporary file');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an output folder removed mid-batch stops the batch with a clear error', { skip: photos.skip, timeout: 120_000 }, async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'heirloom-fault-'));
  try {
    const album = path.join(dir, 'album');
    cpSync(photos.path, album, { recursive: true });
    const out = path.join(dir, 'out');
    const r = await heirloom(['restore', album, '-o', out, ...modelArgs], path.join(dir, 'home'), (line) => {
      if (line.includes(' -> ')) rmSync(out, { recursive: true, force: true });
    });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /heirloom: the output folder .* does not exist/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('Ctrl-C stops the batch resumably; the rerun finishes it', { skip: photos.skip, timeout: 120_000 }, async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'heirloom-fault-'));
  try {
    const album = path.join(dir, 'album');
    cpSync(photos.path, album, { recursive: true });
    const out = path.join(dir, 'out');
    const home = path.join(dir, 'home');
    const args = ['restore', album, '-o', out, ...modelArgs];
    let sent = false;
    const first = await heirloom(args, home, (line, kill) => {
      if (!sent && line.includes(' -> ')) {
        sent = true;
        kill('SIGINT');
      }
    });
    assert.equal(first.code, 130, first.stderr);
    assert.match(first.stderr, /rerun the same command to resume/);
    const stopped = items(out);
    assert.ok(stopped.some((i) => i.state === 'queued'), 'photos left for the rerun');
    assert.ok(!stopped.some((i) => i.state === 'running' || i.state === 'cancelled'));
    assert.ok(!readdirSync(out).some((n) => n.startsWith('.heirloom-tmp-')));
    const second = await heirloom(args, home);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stderr, /resuming batch 1/);
    assert.ok(items(out).every((i) => i.state === 'done'));
    assert.equal(readdirSync(out).filter((n) => n.endsWith('.restored.jpg')).length, 8);
    const status = await heirloom(['batch', 'status', '-o', out, '--json'], home);
    assert.equal(status.code, 0, status.stderr);
    const jobs = JSON.parse(status.stdout) as { id: number; state: string; counts: { done: number; total: number } }[];
    assert.deepEqual(jobs.map((j) => [j.id, j.state, j.counts.done, j.counts.total]), [[1, 'done', 8, 8]]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
