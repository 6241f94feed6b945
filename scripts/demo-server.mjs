// The demo origin: serves demo/ at `/` and dist/ at `/dist/`, plus `/config.js`, which tells the
// pages where the emulator listens (a separate origin, as in production). Used by `npm start` and by
// the end-to-end tests.
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(new URL('.', import.meta.url)), '..');
const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.json': 'application/json; charset=utf-8', '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon', '.txt': 'text/plain; charset=utf-8',
};

/** Resolves a URL path inside `base`, or null when it would leave it. */
function inside(base, urlPath) {
  let decoded;
  try { decoded = decodeURIComponent(urlPath); } catch { return null; }
  if (decoded.includes('\0')) return null;
  const file = normalize(join(base, decoded));
  return file === base || file.startsWith(base + sep) ? file : null;
}

/**
 * @param {{ port?: number, host?: string, emulatorUrl: string, clientId?: string, headers?: Record<string, string>, handler?: (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => boolean | Promise<boolean> }} options
 */
export function startDemoServer({ port = 8080, host = '127.0.0.1', emulatorUrl, headers = {}, handler }) {
  const demo = join(root, 'demo');
  const dist = join(root, 'dist');
  const server = createServer(async (req, res) => {
    try {
      if (handler && (await handler(req, res))) return;
      const url = new URL(req.url ?? '/', 'http://x');
      if (req.method !== 'GET' && req.method !== 'HEAD') { res.writeHead(405).end(); return; }
      if (url.pathname === '/config.js') {
        const config = { api: { experienceBaseUrl: emulatorUrl, insightsBaseUrl: emulatorUrl } };
        res.writeHead(200, { 'Content-Type': TYPES['.js'], 'Cache-Control': 'no-store', ...headers });
        res.end(`window.ctflOptimizationConfig = Object.assign(${JSON.stringify(config)}, window.ctflOptimizationConfig);\n`);
        return;
      }
      let file = url.pathname.startsWith('/dist/') ? inside(dist, url.pathname.slice(5)) : inside(demo, url.pathname);
      if (file && (await stat(file).catch(() => null))?.isDirectory()) file = join(file, 'index.html');
      const body = file && (await readFile(file).catch(() => null));
      if (!body) { res.writeHead(404, { 'Content-Type': TYPES['.txt'] }).end('not found'); return; }
      res.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', 'Cache-Control': 'no-cache', ...headers });
      res.end(req.method === 'HEAD' ? undefined : body);
    } catch {
      if (!res.headersSent) res.writeHead(500).end();
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const { port: actual } = /** @type {import('node:net').AddressInfo} */ (server.address());
      resolve({ url: `http://${host}:${actual}`, port: actual, server, close: () => new Promise((r) => server.close(() => r(undefined))) });
    });
  });
}
