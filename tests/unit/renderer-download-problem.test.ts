import { test } from 'node:test';
import assert from 'node:assert/strict';
import { downloadProblem } from '../../src-renderer/lib/download-problem.ts';

test('a failed model download reads as one plain sentence; the raw error is kept for Details', () => {
  const raw =
    'could not download https://huggingface.co/ohayonguy/PMRF_blind_face_image_restoration/resolve/main/model.safetensors: getaddrinfo ENOTFOUND huggingface.co (behind a proxy? set HTTPS_PROXY, or run `heirloom models import <file>` outside the app).';
  const p = downloadProblem(raw);
  assert.match(p.message, /^Heirloom could not reach the internet/);
  assert.match(p.message, /Try again .* or import the model file/);
  assert.doesNotMatch(p.message, /https?:|ENOTFOUND|PROXY|heirloom models|\.\.$/);
  assert.equal(p.details, raw);
  assert.match(downloadProblem('ENOSPC: no space left on device, write').message, /not enough free disk space/);
  assert.match(downloadProblem('HTTP 403 from huggingface.co').message, /refused/);
  assert.match(downloadProblem('sha256 mismatch').message, /did not finish/);
  assert.match(downloadProblem(null).message, /did not finish/);
});
