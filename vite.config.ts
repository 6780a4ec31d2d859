// Vite build of the Svelte renderer (src-renderer -> dist-renderer).
// `vite build` = the app build (strict CSP, Electron loads it from a custom protocol or file).
// `vite build --mode test` = the browser e2e build: the CSP also allows the WebSocket test
// transport and the HTTP media URLs of scripts/dev-server.ts on 127.0.0.1, and the output goes to
// .cache/renderer-test so it never mixes with the app build.
import { defineConfig, type Plugin } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { contentSecurityPolicy } from './src-renderer/lib/csp.ts';

const root = path.dirname(fileURLToPath(import.meta.url));

/**
 * Fills the CSP meta tag of a build. The dev server (HMR) needs inline styles and its own socket,
 * so under `vite` (serve) the tag is dropped rather than left with a placeholder.
 */
function cspPlugin(mode: string, command: 'build' | 'serve'): Plugin {
  return {
    name: 'heirloom-csp',
    transformIndexHtml(html) {
      if (command === 'serve') return html.replace(/\s*<meta http-equiv="Content-Security-Policy"[^>]*>/, '');
      return html.replace('%HEIRLOOM_CSP%', contentSecurityPolicy(mode));
    },
  };
}

export default defineConfig(({ mode, command }) => ({
  root: path.join(root, 'src-renderer'),
  base: './',
  plugins: [svelte(), cspPlugin(mode, command)],
  build: {
    outDir: mode === 'test' ? path.join(root, '.cache', 'renderer-test') : path.join(root, 'dist-renderer'),
    emptyOutDir: true,
    target: 'chrome120',
    sourcemap: mode === 'test',
    // Keep every asset a file: data: URLs for fonts/scripts would need a looser CSP.
    assetsInlineLimit: 0,
  },
}));
