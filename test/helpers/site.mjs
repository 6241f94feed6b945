// A site as the end-to-end tests see it in every engine: a small HTTP proxy in front of a real
// server (the demo, the SSR demo, a static fixture server) that records each exchange the browser
// had with it — method, path, status, headers (every Set-Cookie) and the HTML it received — and adds
// one same-origin script at the top of every HTML page. That script is how a test watches the page
// from its first line in all three engines alike: classic WebDriver (WebKit) has no init scripts,
// no console or page-error events and no response objects, so neither is taken from a driver.
// It records uncaught errors, unhandled rejections, console errors and warnings and CSP violations
// in sessionStorage (so they survive the page's navigations) and runs the test's own `initScript`.
// The HTML recorded is what the server sent, before the script was added. A test can also hold or
// answer chosen requests itself (`route`), as request interception in a driver would.
import { createServer, request as httpRequest } from 'node:http';
import { waitFor } from './wait.mjs';

const INIT_PATH = '/__e2e/init.js';
const PROBLEMS_KEY = '__e2e_problems__';

/** The instrumentation every page gets, before any of its own scripts. */
const BASE_INIT = `(() => {
  const KEY = ${JSON.stringify(PROBLEMS_KEY)};
  window.__e2eDoc = Math.random().toString(36).slice(2);
  const record = (kind, text) => {
    const entry = kind + ': ' + text;
    try {
      const list = JSON.parse(sessionStorage.getItem(KEY) || '[]');
      list.push(entry);
      sessionStorage.setItem(KEY, JSON.stringify(list));
    } catch (e) { (window.__e2eProblems = window.__e2eProblems || []).push(entry); }
  };
  const text = (v) => { try { return v instanceof Error ? String(v.stack || v) : typeof v === 'string' ? v : JSON.stringify(v); } catch (e) { return String(v); } };
  window.addEventListener('error', (e) => record('pageerror', e.error ? text(e.error) : e.message + ' at ' + e.filename + ':' + e.lineno));
  window.addEventListener('unhandledrejection', (e) => record('pageerror', 'unhandled rejection: ' + text(e.reason)));
  document.addEventListener('securitypolicyviolation', (e) => record('csp', e.violatedDirective + ' blocked ' + (e.blockedURI || '(inline)') + ' at ' + e.sourceFile + ':' + e.lineNumber));
  // Each time a document is shown: loaded, or restored from the back/forward cache (persisted).
  addEventListener('pageshow', (e) => {
    try {
      const shows = JSON.parse(sessionStorage.getItem(KEY + 'shows') || '[]');
      shows.push({ id: Math.random().toString(36).slice(2), doc: window.__e2eDoc, persisted: e.persisted, url: location.href });
      sessionStorage.setItem(KEY + 'shows', JSON.stringify(shows));
    } catch (e) { /* no sessionStorage */ }
  });
  for (const level of ['error', 'warn']) {
    const original = console[level];
    console[level] = function (...args) { record('console.' + level, args.map(text).join(' ')); return original.apply(this, args); };
  }
})();
`;

/** The documents shown in the page's tab so far (`persisted`: restored from the back/forward cache); run in the page. */
export const readShowsInPage = `(() => { try { return JSON.parse(sessionStorage.getItem(${JSON.stringify(PROBLEMS_KEY + 'shows')}) || '[]'); } catch (e) { return []; } })()`;

/** Reads the problems recorded in the page's tab; run in the page. */
export const readProblemsInPage = `(() => {
  let list = [];
  try { list = JSON.parse(sessionStorage.getItem(${JSON.stringify(PROBLEMS_KEY)}) || '[]'); } catch (e) { /* none */ }
  return list.concat(window.__e2eProblems || []);
})()`;

/** @typedef {{ status: number, headers: import('node:http').IncomingHttpHeaders, body: Buffer }} RoutedResponse */
/**
 * @typedef {(request: { method: string, path: string, headers: import('node:http').IncomingHttpHeaders },
 *   upstream: (headers?: import('node:http').IncomingHttpHeaders) => Promise<RoutedResponse>) => Promise<RoutedResponse>} RouteHandler
 */

/**
 * @param {string} target the real server's origin, e.g. http://127.0.0.1:8080
 * @param {{ initScript?: string }} [options]
 */
export async function startSite(target, { initScript = '' } = {}) {
  const upstream = new URL(target);
  /** @type {Array<{ seq: number, method: string, path: string, status: number, headers: Record<string, string | string[]>, setCookies: string[], html?: string }>} */
  const exchanges = [];
  let seq = 0;
  /** @type {{ match: (request: { method: string, path: string }) => boolean, handler: RouteHandler } | undefined} */
  let routed;
  const server = createServer((req, res) => {
    if (req.url === INIT_PATH) {
      res.writeHead(200, { 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'no-store' });
      res.end(`${BASE_INIT}\n${initScript}\n`);
      return;
    }
    if (routed && routed.match({ method: req.method ?? 'GET', path: req.url ?? '/' })) {
      void answerRouted(req, res, routed.handler);
      return;
    }
    const headers = { ...req.headers };
    // Plain bodies, so the page can be read and the script added.
    delete headers['accept-encoding'];
    const out = httpRequest({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers }, (up) => {
      const type = String(up.headers['content-type'] ?? '');
      const entry = {
        seq: ++seq, method: req.method ?? 'GET', path: req.url ?? '/', status: up.statusCode ?? 0,
        headers: up.headers, setCookies: [].concat(up.headers['set-cookie'] ?? []),
      };
      if (!type.startsWith('text/html')) {
        exchanges.push(entry);
        res.writeHead(up.statusCode ?? 502, up.rawHeaders);
        up.pipe(res);
        return;
      }
      const chunks = [];
      up.on('data', (c) => chunks.push(c));
      up.on('end', () => {
        const html = Buffer.concat(chunks).toString('utf8');
        entry.html = html;
        exchanges.push(entry);
        // A nonce-based policy: the added script carries the page's nonce, like any of its own scripts.
        const csp = String(up.headers['content-security-policy'] ?? '');
        const nonce = /'nonce-([^']+)'/.exec(csp)?.[1];
        const tag = `<script src="${INIT_PATH}"${nonce ? ` nonce="${nonce}"` : ''}></script>`;
        const m = /<head[^>]*>/i.exec(html);
        const body = req.method === 'HEAD' ? '' : m ? html.slice(0, m.index + m[0].length) + tag + html.slice(m.index + m[0].length) : tag + html;
        const outHeaders = { ...up.headers };
        delete outHeaders['content-length'];
        delete outHeaders['transfer-encoding'];
        outHeaders['content-length'] = String(Buffer.byteLength(body));
        res.writeHead(up.statusCode ?? 502, outHeaders);
        res.end(body);
      });
    });
    out.on('error', () => { if (!res.headersSent) res.writeHead(502); res.end(); });
    req.pipe(out);
  });

  /** A routed request: its answer is the handler's (see `route` below), recorded as the others. */
  async function answerRouted(req, res, handler) {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const body = Buffer.concat(chunks);
    const request = { method: req.method ?? 'GET', path: req.url ?? '/', headers: { ...req.headers } };
    /** @type {(headers?: import('node:http').IncomingHttpHeaders) => Promise<RoutedResponse>} */
    const upstreamFetch = (headers = request.headers) => new Promise((resolve, reject) => {
      const sent = { ...headers };
      delete sent['accept-encoding'];
      const out = httpRequest({ host: upstream.hostname, port: upstream.port, method: request.method, path: request.path, headers: sent }, (up) => {
        const parts = [];
        up.on('data', (c) => parts.push(c));
        up.on('error', reject);
        up.on('end', () => resolve({ status: up.statusCode ?? 502, headers: up.headers, body: Buffer.concat(parts) }));
      });
      out.on('error', reject);
      out.end(body);
    });
    let response;
    try {
      response = await handler(request, upstreamFetch);
    } catch {
      response = { status: 502, headers: {}, body: Buffer.alloc(0) };
    }
    exchanges.push({
      seq: ++seq, method: request.method, path: request.path, status: response.status,
      headers: response.headers, setCookies: [].concat(response.headers['set-cookie'] ?? []),
    });
    // The browser may have given up on it meanwhile (an aborted fetch closes its connection).
    if (res.destroyed || req.socket.destroyed) return;
    const outHeaders = { ...response.headers };
    delete outHeaders['transfer-encoding'];
    outHeaders['content-length'] = String(response.body.length);
    try {
      res.writeHead(response.status, outHeaders);
      res.end(request.method === 'HEAD' ? undefined : response.body);
    } catch { /* the connection is gone */ }
  }

  await /** @type {Promise<void>} */ (new Promise((r) => server.listen(0, '127.0.0.1', r)));
  const url = `http://127.0.0.1:${/** @type {import('node:net').AddressInfo} */ (server.address()).port}`;
  return {
    url,
    exchanges,
    /**
     * Routes the requests `match` picks to `handler(request, upstream)` instead of the real server,
     * as a browser driver's request interception would, in every engine: the handler may wait
     * (hold the request or its answer), call `upstream(headers?)` for the real server's answer
     * (with other request headers when given) and returns the answer to send. `route()` ends it.
     * @param {(request: { method: string, path: string }) => boolean} [match]
     * @param {RouteHandler} [handler]
     */
    route(match, handler) { routed = match && handler ? { match, handler } : undefined; },
    /**
     * The first exchange after `since` (a `mark()`) that `test` picks, once the browser has had it
     * (the answer's status and headers are in).
     */
    waitFor(test, { since = 0, timeout = 10_000 } = {}) {
      return waitFor(() => exchanges.find((e) => e.seq > since && test(e)), timeout, `an exchange: ${String(test)}`, 25);
    },
    /** A position in the record: `since(mark)` gives what came after it. */
    mark: () => seq,
    since: (mark) => exchanges.filter((e) => e.seq > mark),
    /** The last exchange for `method` and `path` (a path with or without its query). */
    last: (method, path) => exchanges.filter((e) => e.method === method && (e.path === path || e.path.split('?')[0] === path)).at(-1),
    /** Exchanges the browser had that failed (4xx/5xx), except the favicon the browser asks for itself. */
    failures: () => exchanges.filter((e) => e.status >= 400 && !e.path.startsWith('/favicon.ico')).map((e) => `${e.status} ${e.method} ${e.path}`),
    close: () => new Promise((r) => { server.close(() => r(undefined)); server.closeAllConnections(); }),
  };
}

/**
 * The Experience and Insights APIs behind a switch: `down()` makes every connection to them fail
 * (the socket is destroyed, as when the network is gone — a real network error in every engine,
 * where only Chromium's driver can take a page offline), `up()` restores them.
 */
export async function startGate(target) {
  const upstream = new URL(target);
  let open = true;
  const sockets = new Set();
  const server = createServer((req, res) => {
    if (!open) { req.socket.destroy(); return; }
    const out = httpRequest({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.rawHeaders);
      up.pipe(res);
    });
    out.on('error', () => { if (!res.headersSent) res.writeHead(502); res.end(); });
    req.pipe(out);
  });
  server.on('connection', (s) => { sockets.add(s); s.once('close', () => sockets.delete(s)); });
  await /** @type {Promise<void>} */ (new Promise((r) => server.listen(0, '127.0.0.1', r)));
  return {
    url: `http://127.0.0.1:${/** @type {import('node:net').AddressInfo} */ (server.address()).port}`,
    down() { open = false; for (const s of sockets) s.destroy(); },
    up() { open = true; },
    close: () => new Promise((r) => { server.close(() => r(undefined)); server.closeAllConnections(); }),
  };
}
