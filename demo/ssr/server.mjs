// The server-rendered demo: node:http, no framework, the hybrid flow of profile-synchronization.txt.
//
// Every page request reads two cookies — `ctfl-opt-aid` (the profile to continue) and the
// application's own consent cookie `app-personalization-consent` (granted, denied or absent) — sends
// a page event through the built server entry (dist/server.mjs), renders the hero variant the
// Experience API selected, hands the same data to the browser runtime, and writes `ctfl-opt-aid`
// only when persistence consent allows it. Revoking consent clears the cookie here and, through the
// script tag's data-consent="denied", the browser's storage. No inline script: the page works under
// a strict Content-Security-Policy, which it sends.
//
//   node demo/ssr/server.mjs [--port 8081] [--emulator http://127.0.0.1:8787]
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { dirname, extname, join, normalize, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const {
  ContentfulOptimization, ANONYMOUS_ID_COOKIE, anonymousIdCookie, clearAnonymousIdCookie, escapeHtml,
  readAnonymousId, readCookie, renderOptimizedEntry, serializeOptimizationData,
} = await import(pathToFileURL(join(root, 'dist', 'server.mjs')).href);

/** The application's consent cookie (owned by the app, not the SDK): `granted`, `denied` or absent. */
export const CONSENT_COOKIE = 'app-personalization-consent';
/** The demo's stand-in for a login session. */
const USER_COOKIE = 'demo-user';
const ADA = { userId: 'ada@example.com', traits: { firstname: 'Ada', plan: 'pro' } };
const YEAR = 365 * 24 * 60 * 60;

const TYPES = { '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.map': 'application/json; charset=utf-8' };
/** Files the pages load; nothing else on disk is reachable. */
const STATIC = new Map([
  ['/demo.css', join(root, 'demo', 'demo.css')],
  ['/ssr/ssr.css', join(here, 'ssr.css')],
  ['/ssr/client.js', join(here, 'client.js')],
]);

// The app's own trusted templates. API data only chooses between them; it never becomes markup.
const HERO = {
  entryId: 'heroBaseline0000000001',
  baseline: '<h1>Personalization without the wait</h1><p>Show every visitor the content that fits them, rendered on the server.</p>',
  variants: {
    heroVariant00000000001: '<h1>Plans that grow with you</h1><p>Welcome back — your pro plan includes every personalization feature.</p>',
  },
};
const PROMO = { entryId: 'promoBanner00000000001', baseline: '<p>First time here? Get 20% off your first month.</p>' };
const PAGES = {
  '/': { title: 'Home', body: (data) => renderOptimizedEntry({ ...HERO, data, attributes: { class: 'hero', live: true } })
    + renderOptimizedEntry({ ...PROMO, data, attributes: { class: 'promo' } }) },
  '/pricing': { title: 'Pricing', body: () => '<h1>Pricing</h1><p>Starter €0 · Pro €49 · Enterprise: talk to us.</p>' },
};

/**
 * @param {{ port?: number, host?: string, emulatorUrl: string, clientId?: string, environment?: string, trustedTypes?: boolean }} options
 * @returns {Promise<{ url: string, port: number, server: import('node:http').Server, close: () => Promise<void> }>}
 */
export async function startSsrDemo({ port = 8081, host = '127.0.0.1', emulatorUrl, clientId = 'demo-org', environment = 'main', trustedTypes = false } = /** @type {never} no options: the TypeError below */ ({})) {
  if (!emulatorUrl) throw new TypeError('startSsrDemo: pass emulatorUrl (the Experience and Insights API base URL).');
  // One instance per process: it holds configuration only, nothing about any visitor.
  const optimization = new ContentfulOptimization({
    clientId, environment,
    api: { experienceBaseUrl: emulatorUrl, insightsBaseUrl: emulatorUrl },
  });
  const apiOrigin = new URL(emulatorUrl).origin;
  const csp = [
    "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self'", `connect-src ${apiOrigin}`,
    "form-action 'self'", "base-uri 'none'", "frame-ancestors 'none'",
    // Also works with Trusted Types required (the hardening suite serves it so).
    ...(trustedTypes ? ["require-trusted-types-for 'script'"] : []),
  ].join('; ');

  async function renderPage(req, res, url, page) {
    const cookies = req.headers.cookie;
    const choice = readCookie(CONSENT_COOKIE, cookies);
    const consent = choice === 'granted' ? true : choice === 'denied' ? false : undefined;
    // The stored profile id is used only with consent; junk in the cookie reads as no cookie.
    const anonymousId = consent === true ? readAnonymousId(cookies) : undefined;
    const request = optimization.forRequest({
      consent: { events: consent, persistence: consent },
      locale: 'en-US',
      profile: anonymousId ? { id: anonymousId } : undefined,
      eventContext: {
        page: { url: url.href, referrer: req.headers.referer ?? '', title: page.title },
        userAgent: req.headers['user-agent'],
        ip: req.socket.remoteAddress,
      },
    });
    // A signed-in visitor is identified first; page() then continues the profile identify returned.
    const signedIn = readCookie(USER_COOKIE, cookies) === 'ada';
    const identified = signedIn ? await request.identify(ADA) : undefined;
    const viewed = await request.page();
    const data = viewed.data ?? identified?.data;

    const headers = { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'private, no-store', 'Content-Security-Policy': csp, 'X-Content-Type-Options': 'nosniff' };
    const setCookies = [];
    if (request.canPersistProfile && data?.profile.id) {
      setCookies.push(anonymousIdCookie(data.profile.id, { secure: req.socket.encrypted === true }));
    } else if (consent !== true && readCookie(ANONYMOUS_ID_COOKIE, cookies) !== undefined) {
      setCookies.push(clearAnonymousIdCookie());
    }
    if (setCookies.length) headers['Set-Cookie'] = setCookies;
    res.writeHead(200, headers);
    res.end(html({ url, page, data, consent, signedIn, clientId, environment, emulatorUrl }));
  }

  const server = createServer(async (req, res) => {
    try {
      const url = requestUrl(req, server);
      const page = Object.hasOwn(PAGES, url.pathname) ? PAGES[url.pathname] : undefined;
      if (req.method === 'POST') return await handlePost(req, res, url);
      if (req.method !== 'GET' && req.method !== 'HEAD') return void res.writeHead(405, { Allow: 'GET, HEAD, POST' }).end();
      if (page) return await renderPage(req, res, url, page);
      if (url.pathname === '/favicon.ico') return void res.writeHead(204, { 'Cache-Control': 'max-age=86400' }).end();
      const file = url.pathname.startsWith('/dist/') ? inside(join(root, 'dist'), url.pathname.slice('/dist'.length)) : STATIC.get(url.pathname);
      const body = file && (await readFile(file).catch(() => null));
      if (!body) return void res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('not found\n');
      res.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', 'Cache-Control': 'no-cache', 'X-Content-Type-Options': 'nosniff' });
      res.end(req.method === 'HEAD' ? undefined : body);
    } catch (error) {
      console.error('ssr demo:', error);
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' }).end('internal error\n');
      else res.destroy();
    }
  });

  await /** @type {Promise<void>} */ (new Promise((resolve, reject) => {
    server.once('error', (/** @type {NodeJS.ErrnoException} */ error) => {
      // A busy port (another demo, a second `npm start`) falls back to a free one, and says so.
      if (error.code !== 'EADDRINUSE' || port === 0) return reject(error);
      console.log(`ssr demo: port ${port} is busy, using a free port instead`);
      server.listen(0, host, resolve);
    });
    server.listen(port, host, resolve);
  }));
  const actual = /** @type {import('node:net').AddressInfo} */ (server.address()).port;
  return {
    url: `http://${host}:${actual}`,
    port: actual,
    server,
    close: () => new Promise((resolve) => { server.close(() => resolve()); server.closeAllConnections(); }),
  };
}

/**
 * The request's URL on this site. The path is parsed on its own (`//evil.test/x` stays a path), and
 * the origin comes from the Host header only when it is a plain host[:port].
 */
function requestUrl(req, server) {
  const raw = req.url ?? '/';
  const path = new URL(`http://x${raw.startsWith('/') ? raw : '/'}`);
  const hostHeader = req.headers.host ?? '';
  const origin = /^[A-Za-z0-9.-]+(:\d{1,5})?$/.test(hostHeader) ? `http://${hostHeader}` : `http://127.0.0.1:${server.address().port}`;
  return new URL(`${origin}${path.pathname}${path.search}`);
}

/** Consent and sign-in forms: same-origin POSTs that set the app's cookies, then redirect back. */
async function handlePost(req, res, url) {
  const site = req.headers['sec-fetch-site'];
  const origin = req.headers.origin;
  if ((site && site !== 'same-origin') || (origin && origin !== url.origin)) {
    return void res.writeHead(403, { 'Content-Type': 'text/plain; charset=utf-8' }).end('cross-site form posts are refused\n');
  }
  const form = new URLSearchParams(await readBody(req, 2048));
  const back = /^\/[A-Za-z0-9_-]*$/.test(form.get('return') ?? '') ? form.get('return') : '/';
  const cookie = (name, value, maxAge) => `${name}=${value}; Path=/; Max-Age=${maxAge}; SameSite=Lax`;
  const setCookies = [];
  if (url.pathname === '/consent' && (form.get('choice') === 'granted' || form.get('choice') === 'denied')) {
    setCookies.push(cookie(CONSENT_COOKIE, form.get('choice'), YEAR));
    // Revocation ends continuity on the server's side: the profile id cookie goes with it.
    if (form.get('choice') === 'denied') setCookies.push(clearAnonymousIdCookie());
  } else if (url.pathname === '/sign-in') {
    setCookies.push(`${cookie(USER_COOKIE, 'ada', 86400)}; HttpOnly`);
  } else if (url.pathname === '/sign-out') {
    setCookies.push(`${cookie(USER_COOKIE, '', 0)}; HttpOnly`);
  } else {
    return void res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('not found\n');
  }
  res.writeHead(303, { Location: back, 'Set-Cookie': setCookies, 'Cache-Control': 'no-store' }).end();
}

function readBody(req, limit) {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => {
      body += chunk;
      if (body.length > limit) { req.destroy(); reject(new Error('form too large')); }
    });
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });
}

/** A path inside `base`, or null when it would leave it. */
function inside(base, urlPath) {
  let decoded;
  try { decoded = decodeURIComponent(urlPath); } catch { return null; }
  if (decoded.includes('\0')) return null;
  const file = normalize(join(base, decoded));
  return file.startsWith(base + sep) ? file : null;
}

function html({ url, page, data, consent, signedIn, clientId, environment, emulatorUrl }) {
  // The browser runtime mirrors the app's consent; without a decision it gets none (undefined).
  const consentAttrs = consent === undefined ? '' : ` data-consent="${consent ? 'granted' : 'denied'}" data-persistence-consent="${consent ? 'granted' : 'denied'}"`;
  const back = escapeHtml(url.pathname);
  const form = (action, label, fields = '', cls = '') =>
    `<form method="post" action="${action}" class="inline">${fields}<input type="hidden" name="return" value="${back}"><button type="submit"${cls ? ` class="${cls}"` : ''}>${label}</button></form>`;
  const consentForm = (choice, label, cls) => form('/consent', label, `<input type="hidden" name="choice" value="${choice}">`, cls);
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Acme Analytics — ${escapeHtml(page.title)} (server-rendered)</title>
  <link rel="stylesheet" href="/demo.css">
  <link rel="stylesheet" href="/ssr/ssr.css">
  ${serializeOptimizationData(data)}
  <script src="/dist/optimization.umd.js" data-client-id="${escapeHtml(clientId)}" data-environment="${escapeHtml(environment)}"
    data-experience-url="${escapeHtml(emulatorUrl)}" data-insights-url="${escapeHtml(emulatorUrl)}" data-auto-page="false"${consentAttrs}></script>
  <script src="/ssr/client.js" defer></script>
</head>
<body>
  <header class="site-header">
    <a class="logo" href="/">Acme Analytics</a>
    <nav><a href="/">Home</a> <a href="/pricing">Pricing</a></nav>
    <span class="greeting">Hi <ctfl-merge-tag path="traits.firstname" fallback="there"></ctfl-merge-tag>!</span>
  </header>
  <main>
    ${page.body(data)}
    <section class="identity">
      <h2>Try it</h2>
      <p>Consent: <strong id="consent-state">${consent === undefined ? 'not decided' : consent ? 'granted' : 'denied'}</strong>.
        The server sets <code>ctfl-opt-aid</code> only when it is granted.</p>
      ${consentForm('granted', 'Accept personalization', '')} ${consentForm('denied', 'Revoke consent', 'secondary')}
      <p>${signedIn ? form('/sign-out', 'Sign out (server)', '', 'secondary') : form('/sign-in', 'Sign in as Ada on the server')}
        <button type="button" id="browser-identify">Identify as Ada in the browser</button></p>
      <p id="status" role="status"></p>
    </section>
  </main>
</body>
</html>
`;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const arg = (name, fallback) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
  };
  const demo = await startSsrDemo({ port: Number(arg('port', 8081)), emulatorUrl: arg('emulator', process.env.EMULATOR_URL ?? 'http://127.0.0.1:8787') });
  console.log(`server-rendered demo: ${demo.url}/`);
  for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => void demo.close());
}
