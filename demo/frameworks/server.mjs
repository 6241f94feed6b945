// The framework demos' origin: one page per app under its own base path (any route under it serves
// the app, as a single-page app's server does), the React app also rendered on the server
// (/react-ssr/…, hydrated with hydrateRoot), the apps' bundles built at start (build.mjs) and the
// script-tag bundle from dist/. Used by `npm start` and test/e2e/frameworks.test.mjs.
//
//   node demo/frameworks/server.mjs [--port 8082] [--emulator http://127.0.0.1:8787]
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { dirname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildDemos, APPS } from './build.mjs';
import { ROUTES, routeOf } from './shared.js';

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, '..', '..', 'dist');
const NAMES = { react: 'React', 'react-ssr': 'React (server-rendered, hydrateRoot)', vue: 'Vue', svelte: 'Svelte', lit: 'lit', router: 'Router' };
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const json = (v) => JSON.stringify(v).replace(/</g, '\\u003c');

/**
 * @param {{ port?: number, host?: string, emulatorUrl: string, clientId?: string }} options
 * @returns {Promise<{ url: string, port: number, close: () => Promise<void> }>}
 */
export async function startFrameworksDemo({ port = 8082, host = '127.0.0.1', emulatorUrl, clientId = 'frameworks-demo' } = /** @type {never} no options: the TypeError below */ ({})) {
  if (!emulatorUrl) throw new TypeError('startFrameworksDemo: pass emulatorUrl (the Experience and Insights API base URL).');
  const { bundles, renderReact } = await buildDemos();
  const css = await readFile(join(here, 'frameworks.css'));

  const page = (app, route, query) => {
    const title = `${NAMES[app].split(' ')[0]} · ${ROUTES[route]}`;
    const config = { clientId, api: { experienceBaseUrl: emulatorUrl, insightsBaseUrl: emulatorUrl }, defaults: { consent: true, persistenceConsent: true } };
    // The lit app uses the package (its own runtime); the others the script tag. Both consents are
    // given up front: this demo is about frameworks, consent has demos of its own.
    const head = app === 'lit'
      ? `<script type="application/json" id="demo-config">${json(config)}</script>`
      : `<script src="/dist/optimization.umd.js" data-client-id="${esc(clientId)}" data-experience-url="${esc(emulatorUrl)}" data-insights-url="${esc(emulatorUrl)}" data-consent="true" data-persistence-consent="true"${query.get('auto-page') ? ` data-auto-page="${esc(query.get('auto-page'))}"` : ''}></script>`;
    const body = app === 'react-ssr' ? renderReact(route) : '';
    return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/frameworks.css">
${head}
</head><body><header><a href="/">Framework demos</a> · <strong>${esc(NAMES[app])}</strong></header>
<div id="app">${body}</div>
<script type="module" src="/app/${app}.js"></script>
</body></html>`;
  };
  const index = () => `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Framework demos</title><link rel="stylesheet" href="/frameworks.css"></head>
<body><header><strong>Framework demos</strong></header><main><ul>${Object.keys(APPS).map((a) => `<li><a href="/${a}/">${esc(NAMES[a])}</a></li>`).join('')}</ul></main></body></html>`;

  const server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? '/', 'http://x');
      const send = (status, type, body) => res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store' }).end(body);
      if (url.pathname === '/') return send(200, 'text/html; charset=utf-8', index());
      if (url.pathname === '/frameworks.css') return send(200, 'text/css; charset=utf-8', css);
      if (url.pathname === '/favicon.ico') return send(204, 'image/x-icon', '');
      const bundle = /^\/app\/([\w-]+)\.js$/.exec(url.pathname);
      if (bundle && bundles.has(bundle[1])) return send(200, 'text/javascript; charset=utf-8', bundles.get(bundle[1]));
      if (url.pathname.startsWith('/dist/')) {
        const file = normalize(join(dist, decodeURIComponent(url.pathname.slice(6))));
        const body = file.startsWith(dist + sep) ? await readFile(file).catch(() => null) : null;
        return body ? send(200, 'text/javascript; charset=utf-8', body) : send(404, 'text/plain', 'not found');
      }
      const app = /^\/([\w-]+)(?:\/|$)/.exec(url.pathname)?.[1];
      if (app && Object.hasOwn(APPS, app)) return send(200, 'text/html; charset=utf-8', page(app, routeOf(`/${app}`, url.pathname), url.searchParams));
      send(404, 'text/plain', 'not found');
    } catch (error) {
      console.error('frameworks demo:', error);
      if (!res.headersSent) res.writeHead(500).end();
    }
  });
  await /** @type {Promise<void>} */ (new Promise((resolve, reject) => { server.once('error', reject); server.listen(port, host, resolve); }));
  const actual = /** @type {import('node:net').AddressInfo} */ (server.address()).port;
  return {
    url: `http://${host}:${actual}`, port: actual,
    close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(() => r(undefined)); }),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { port: { type: 'string', default: '8082' }, emulator: { type: 'string', default: 'http://127.0.0.1:8787' } } });
  const demo = await startFrameworksDemo({ port: Number(values.port), emulatorUrl: values.emulator });
  console.log(`framework demos: ${demo.url}/`);
}
