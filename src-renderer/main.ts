import { mount } from 'svelte';
import './app.css';

const target = document.getElementById('app');
if (target === null) throw new Error('missing #app');

// The API is chosen when App's modules load; if there is no bridge, say so instead of a blank window.
try {
  const { default: App } = await import('./App.svelte');
  mount(App, { target });
} catch (err) {
  const p = document.createElement('p');
  p.className = 'fatal';
  p.setAttribute('role', 'alert');
  p.textContent = `Heirloom could not start: ${err instanceof Error ? err.message : String(err)}`;
  target.replaceChildren(p);
}
