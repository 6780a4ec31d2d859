/**
 * When the inference process stops, the call it was running is the crash; the calls waiting
 * behind it never ran and are told so ('interrupted'), so the photo prepared ahead is sent again
 * instead of failing with the photo that crashed the process. A scripted process stands in for
 * the real one (it runs calls one at a time in the order sent, as serve.ts does).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InferenceWorker, WorkerCallError, type WorkerProcess } from '../../src-main/worker-client/client.ts';
import type { ToWorker } from '../../src-shared/worker-protocol.ts';

function scriptedProcess(): { proc: WorkerProcess; sent: ToWorker[]; exit: () => void } {
  let onMessage: (m: unknown) => void = () => {};
  let onExit: (code: number | null) => void = () => {};
  const sent: ToWorker[] = [];
  const proc: WorkerProcess = {
    pid: 4242,
    send: (m) => sent.push(m),
    onMessage: (l) => {
      onMessage = l;
      queueMicrotask(() => onMessage({ type: 'ready', pid: 4242 }));
    },
    onExit: (l) => (onExit = l),
    kill: () => onExit(null),
  };
  return { proc, sent, exit: () => onExit(null) };
}

test('the running call is "crashed", the calls behind it "interrupted"', async () => {
  const s = scriptedProcess();
  const w = new InferenceWorker(() => s.proc);
  const first = w.call('ping', {});
  const second = w.call('ping', {});
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(s.sent.length, 2, 'both sent');
  s.exit();
  await assert.rejects(first, (err: unknown) => err instanceof WorkerCallError && err.kind === 'crashed' && /stopped unexpectedly \(exit code signal\)/.test(err.message));
  await assert.rejects(second, (err: unknown) => err instanceof WorkerCallError && err.kind === 'interrupted' && /before this call ran/.test(err.message));
});

test('calls not yet sent when the process dies before it is ready were never run either', async () => {
  let exit: (code: number | null) => void = () => {};
  const proc: WorkerProcess = { pid: 1, send: () => {}, onMessage: () => {}, onExit: (l) => (exit = l), kill: () => exit(null) };
  const w = new InferenceWorker(() => proc);
  const call = w.call('ping', {});
  exit(1);
  await assert.rejects(call, (err: unknown) => err instanceof WorkerCallError && err.kind === 'interrupted');
});
