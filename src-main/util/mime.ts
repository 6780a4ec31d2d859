/** Content types of the files the app serves (the built renderer and media), by extension. */
const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
};

/** The content type for a file name; `application/octet-stream` when unknown. */
export function mimeType(file: string): string {
  const dot = file.lastIndexOf('.');
  return (dot >= 0 ? MIME[file.slice(dot).toLowerCase()] : undefined) ?? 'application/octet-stream';
}
