import assert from 'node:assert/strict';
import { test } from 'node:test';
import { proxySettings } from '../../src-main/models/http.ts';
import { hfAuthHeaders } from '../../src-main/models/hf-hub.ts';

test('proxy settings are read like curl: either case, ALL_PROXY as the fallback, none = direct', () => {
  assert.equal(proxySettings({}), null);
  assert.equal(proxySettings({ HTTPS_PROXY: '  ' }), null);
  assert.deepEqual(proxySettings({ https_proxy: 'http://p:3128' }), { httpProxy: undefined, httpsProxy: 'http://p:3128', noProxy: undefined });
  assert.deepEqual(proxySettings({ ALL_PROXY: 'http://a:1', HTTP_PROXY: 'http://h:2', no_proxy: 'localhost,.lan' }), {
    httpProxy: 'http://h:2',
    httpsProxy: 'http://a:1',
    noProxy: 'localhost,.lan',
  });
});

test('the Hugging Face token goes only to the configured Hub origin', () => {
  const env = { HF_TOKEN: 'hf_x' };
  assert.deepEqual(hfAuthHeaders('https://huggingface.co/a/b/resolve/main/f', env), { authorization: 'Bearer hf_x' });
  assert.deepEqual(hfAuthHeaders('https://cdn-lfs.huggingface.co/x', env), {});
  assert.deepEqual(hfAuthHeaders('https://huggingface.co.evil.example/x', env), {});
  assert.deepEqual(hfAuthHeaders('https://hf-mirror.com/a', { HUGGING_FACE_HUB_TOKEN: 'hf_y', HF_ENDPOINT: 'https://hf-mirror.com/' }), { authorization: 'Bearer hf_y' });
  assert.deepEqual(hfAuthHeaders('https://huggingface.co/a', {}), {});
});
