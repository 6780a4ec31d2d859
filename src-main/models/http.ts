import { EnvHttpProxyAgent, fetch as undiciFetch, type Dispatcher } from 'undici';

/**
 * HTTP for model downloads. Node's fetch ignores proxy settings, and users on a school or office
 * network often can reach Hugging Face only through one; so, like curl and Python's
 * huggingface_hub, Heirloom reads HTTPS_PROXY / HTTP_PROXY / ALL_PROXY / NO_PROXY (either case).
 */

type Env = Readonly<Record<string, string | undefined>>;

export interface ProxySettings {
  httpProxy?: string;
  httpsProxy?: string;
  noProxy?: string;
}

function pick(env: Env, name: string): string | undefined {
  for (const key of [name, name.toLowerCase()]) {
    const v = env[key]?.trim();
    if (v) return v;
  }
  return undefined;
}

/** The proxies the environment asks for, or null when there are none. */
export function proxySettings(env: Env = process.env): ProxySettings | null {
  const all = pick(env, 'ALL_PROXY');
  const httpProxy = pick(env, 'HTTP_PROXY') ?? all;
  const httpsProxy = pick(env, 'HTTPS_PROXY') ?? all;
  if (httpProxy === undefined && httpsProxy === undefined) return null;
  return { httpProxy, httpsProxy, noProxy: pick(env, 'NO_PROXY') };
}

const dispatchers = new Map<string, Dispatcher>();

function dispatcherFor(settings: ProxySettings): Dispatcher {
  const key = JSON.stringify(settings);
  let d = dispatchers.get(key);
  if (d === undefined) {
    // EnvHttpProxyAgent applies NO_PROXY per request; a missing scheme's proxy means "direct".
    d = new EnvHttpProxyAgent({ httpProxy: settings.httpProxy ?? '', httpsProxy: settings.httpsProxy ?? '', noProxy: settings.noProxy ?? '' });
    dispatchers.set(key, d);
  }
  return d;
}

/** fetch through the environment's proxy, if any. */
export async function httpFetch(url: string, init: RequestInit = {}, env: Env = process.env): Promise<Response> {
  const proxy = proxySettings(env);
  const options = { ...init, ...(proxy === null ? {} : { dispatcher: dispatcherFor(proxy) }) };
  // undici's Response has the WHATWG interface of the global one (from another copy of undici).
  return (await undiciFetch(url, options as Parameters<typeof undiciFetch>[1])) as unknown as Response;
}
