// The benchmark site: one origin (not the emulator's, as in production) serving the same page built
// four ways — our script tag, the reference SDK, and each of them server-rendered with a handoff —
// plus the DOM-swap pages with N entries. Every page has the demo's hero entry
// (`ctfl-optimized-entry.hero`, what test/helpers/frame-probe.mjs samples).
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { join, normalize, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { NinetailedApiClient, buildPageEvent, logger } from '@ninetailed/experience.js-shared';
import { root } from '../../test/helpers/emulator.mjs';
import { SCENARIO_BUILD } from './weight.mjs';
import { compact } from '../esbuild-umd.mjs';

/**
 * The bench's own first statement of each SDK's blocking script (ours and the reference's alike):
 * when its code starts to run, after the file arrived and was compiled.
 */
export const RUN_MARK_NAME = 'bench:script-runs';
const RUN_MARK = Buffer.from(`performance.mark(${JSON.stringify(RUN_MARK_NAME)});\n`);

export const HERO_BASELINE = 'Personalization without the wait';
export const HERO_VARIANT = 'Plans that grow with you';
export const ORG_OURS = 'bench-ours';
export const ORG_REFERENCE = 'bench-reference';
const BASELINE_ID = 'heroBaseline0000000001';
const VARIANT_ID = 'heroVariant00000000001';
const BASELINE_HTML = `<h1>${HERO_BASELINE}</h1><p>Show every visitor the content that fits them, from one script tag.</p>`;
const VARIANT_HTML = `<h1>${HERO_VARIANT}</h1><p>Welcome back — your pro plan includes every personalization feature.</p>`;
const REFERENCE_COOKIE = 'bench-nt-aid';

const CSS = `<style>
  body { font: 16px/1.5 system-ui, sans-serif; margin: 0; }
  header, main { padding: 16px 32px; }
  ctfl-optimized-entry { display: block; }
  .hero { min-height: 140px; background: #eef; padding: 16px; }
</style>`;
const REST = `<main><h2>Below the hero</h2><p>${'Ordinary page content that does not depend on the visitor. '.repeat(12)}</p></main>`;

const page = (head, body) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>bench</title>${CSS}
${head}
</head><body><header><strong>Acme Analytics</strong></header>
${body}
${REST}
</body></html>`;

/** The hero with both variants' templates, for the client-side pages. */
const clientHero = (attrs) => `<ctfl-optimized-entry class="hero" ${attrs}>
  ${BASELINE_HTML}
  <template data-variant-id="${VARIANT_ID}">${VARIANT_HTML}</template>
</ctfl-optimized-entry>`;

const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * @param {{ emulatorUrl: string, markedBundle?: string }} options `markedBundle`: the bundle with
 *   step marks (first-request.mjs), served as /dist-marked/optimization.umd.js for /marked.html.
 * @returns {Promise<{ url: string, referenceBundleBytes: number, close: () => Promise<void> }>}
 */
export async function startBenchSite({ emulatorUrl, markedBundle }) {
  // Both consents given, as the reference SDK's page (no consent gate on page events) behaves.
  // `?persist=0` (diagnostic): persistence consent withheld, so nothing is read from IndexedDB first.
  const ourScript = (extra = '', persist = true, dir = 'dist') => `<script src="/${dir}/optimization.umd.js" data-client-id="${ORG_OURS}" data-environment="main"
    data-experience-url="${esc(emulatorUrl)}" data-insights-url="${esc(emulatorUrl)}" data-consent="true" data-persistence-consent="${persist}"${extra}></script>
<script>window.__headScriptDone = performance.now();</script>`;
  const referenceScript = (extra = {}) => `<script>window.benchConfig = ${JSON.stringify({ clientId: ORG_REFERENCE, environment: 'main', url: emulatorUrl, ...extra }).replace(/</g, '\\u003c')};</script>
<script src="/reference/page.js"></script>
<script>window.__headScriptDone = performance.now();</script>`;

  // The reference page's application script, bundled once per run.
  const out = await build({ ...SCENARIO_BUILD, entryPoints: [join(root, 'scripts', 'bench', 'ninetailed-page.js')] });
  const referenceBundle = Buffer.from((await compact(out.outputFiles[0].text)).code);

  const server = await import(pathToFileURL(join(root, 'dist', 'server.mjs')).href);
  const ours = new server.ContentfulOptimization({
    clientId: ORG_OURS, environment: 'main', api: { experienceBaseUrl: emulatorUrl, insightsBaseUrl: emulatorUrl },
  });
  logger.removeSinks?.();
  const referenceClient = new NinetailedApiClient({ clientId: ORG_REFERENCE, environment: 'main', url: emulatorUrl, fetchImpl: fetch });

  /** @type {Promise<string> | undefined} The floor's script (/minimal.js). */
  let minimal;
  const eventUrl = (req) => `http://${req.headers.host}${req.url}`;

  const routes = {
    // The floor: the same page with the variant inline and no script at all — what a static page
    // that already knew the visitor would show. Every scenario is reported against it.
    // `?decide=1`: after the same server-side Experience call as the handoff page, its floor.
    '/floor.html': async (req) => {
      if (new URL(req.url, 'http://x').searchParams.get('decide') === '1') {
        await ours.forRequest({ consent: true, locale: 'en-US', eventContext: { page: { url: eventUrl(req), referrer: '', title: 'bench' } } }).page();
      }
      return page('', `<ctfl-optimized-entry class="hero">${VARIANT_HTML}</ctfl-optimized-entry>`);
    },
    '/ours.html': async (req) => page(ourScript('', new URL(req.url, 'http://x').searchParams.get('persist') !== '0'), clientHero(`entry-id="${BASELINE_ID}"`)),
    // The new visitor's page with the bundle that marks its steps (first-request.mjs).
    '/marked.html': async () => page(ourScript('', true, 'dist-marked'), clientHero(`entry-id="${BASELINE_ID}"`)),
    // The same page whose blocking script, our code compiled but not run, only does what the first
    // request cannot do without: read the cookie and localStorage, then call fetch() (first-request.mjs's floor).
    '/minimal.html': async () => page(`<script src="/minimal.js"></script>\n<script>window.__headScriptDone = performance.now();</script>`, clientHero(`entry-id="${BASELINE_ID}"`)),
    '/reference.html': async () => page(referenceScript(), clientHero('style="visibility: hidden"')),
    // Server handoff with our server entry: the server decides and renders, the browser adopts.
    '/handoff/ours.html': async (req, res) => {
      const request = ours.forRequest({
        consent: true, locale: 'en-US',
        eventContext: { page: { url: eventUrl(req), referrer: '', title: 'bench' }, userAgent: req.headers['user-agent'] },
      });
      const { data } = await request.page();
      if (request.canPersistProfile && data) res.setHeader('Set-Cookie', server.anonymousIdCookie(data.profile.id));
      const hero = server.renderOptimizedEntry({
        entryId: BASELINE_ID, baseline: BASELINE_HTML, variants: { [VARIANT_ID]: VARIANT_HTML }, data, attributes: { class: 'hero' },
      });
      return page(`${server.serializeOptimizationData(data)}\n${ourScript(' data-auto-page="false"')}`, hero);
    },
    // The reference SDK's way to render on a server: its NinetailedApiClient (shared SDK) decides,
    // the page renders that variant, and the browser SDK continues the same profile.
    '/handoff/reference.html': async (req, res) => {
      const ts = Date.now();
      const { profile, experiences } = await referenceClient.upsertProfile({
        events: [buildPageEvent({
          messageId: randomUUID(), timestamp: ts, properties: {},
          ctx: { url: eventUrl(req), referrer: '', locale: 'en-US', userAgent: req.headers['user-agent'] ?? '', document: { title: 'bench' } },
        })],
      }, { locale: 'en-US' });
      const selected = experiences.find((e) => e.experienceId === 'expHeroPricing00000001');
      const variant = selected?.variantIndex === 1 ? VARIANT_ID : BASELINE_ID;
      res.setHeader('Set-Cookie', `${REFERENCE_COOKIE}=${profile.id}; Path=/; SameSite=Lax`);
      return page(referenceScript({ profileCookie: REFERENCE_COOKIE }), `<ctfl-optimized-entry class="hero" data-ssr-variant="${variant}">
  ${variant === VARIANT_ID ? VARIANT_HTML : BASELINE_HTML}
  <template data-variant-id="${BASELINE_ID}">${BASELINE_HTML}</template>
  <template data-variant-id="${VARIANT_ID}">${VARIANT_HTML}</template>
</ctfl-optimized-entry>`);
    },
    // N live entries of the hero; a subscriber registered before any element times each new selection.
    '/swap.html': async (req) => {
      const n = Math.max(1, Math.min(10_000, Number(new URL(req.url, 'http://x').searchParams.get('n')) || 10));
      const entries = Array.from({ length: n }, (_, i) => `<ctfl-optimized-entry entry-id="${BASELINE_ID}" live no-track-views no-track-clicks no-track-hovers>
  <h3>${HERO_BASELINE} #${i}</h3>
  <template data-variant-id="${VARIANT_ID}"><h3>${HERO_VARIANT} #${i}</h3></template>
</ctfl-optimized-entry>`).join('\n');
      return page(`<script>${SWAP_PROBE}</script>\n${ourScript()}`, entries);
    },
  };

  const http = createServer(async (req, res) => {
    try {
      const { pathname } = new URL(req.url ?? '/', 'http://x');
      if (pathname === '/favicon.ico') { res.writeHead(204).end(); return; }
      if (pathname === '/reference/page.js') {
        res.writeHead(200, { 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'no-cache' }).end(Buffer.concat([RUN_MARK, referenceBundle]));
        return;
      }
      if (pathname === '/minimal.js') {
        // Made once, like the marked bundle: both are served from memory.
        minimal ??= minimalScript(emulatorUrl);
        res.writeHead(200, { 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'no-cache' }).end(await minimal);
        return;
      }
      if (pathname === '/dist-marked/optimization.umd.js' && markedBundle) {
        res.writeHead(200, { 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'no-cache' }).end(Buffer.concat([RUN_MARK, Buffer.from(markedBundle)]));
        return;
      }
      const distPath = /^\/dist(?:-marked)?\//.exec(pathname)?.[0];
      if (distPath) {
        const dist = join(root, 'dist');
        const file = normalize(join(dist, decodeURIComponent(pathname.slice(distPath.length))));
        const body = file.startsWith(dist + sep) ? await readFile(file).catch(() => null) : null;
        if (!body) { res.writeHead(404).end(); return; }
        // The blocking bundle starts with the bench's mark, as the reference's page script does.
        const marked = /\/optimization\.umd\.js$/.test(file) ? Buffer.concat([RUN_MARK, body]) : body;
        res.writeHead(200, { 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'no-cache' }).end(marked);
        return;
      }
      const route = Object.hasOwn(routes, pathname) ? routes[pathname] : undefined;
      if (!route) { res.writeHead(404).end(); return; }
      const html = await route(req, res);
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' }).end(html);
    } catch (error) {
      console.error('bench site:', error);
      if (!res.headersSent) res.writeHead(500).end(String(error));
    }
  });
  await new Promise((resolve) => http.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${http.address().port}`,
    referenceBundleBytes: referenceBundle.length,
    close: () => new Promise((resolve) => { http.close(() => resolve()); http.closeAllConnections(); }),
  };
}

/**
 * The floor of the first request on this machine: a script that reads the cookie and localStorage
 * and sends a page event, then carries dist/optimization.umd.js unrun (so compiling it costs what
 * ours does), marked like the marked bundle (first-request.mjs).
 */
async function minimalScript(emulatorUrl) {
  const bundle = await readFile(join(root, 'dist', 'optimization.umd.js'), 'utf8');
  const url = `${emulatorUrl}/v2/organizations/${ORG_OURS}/environments/main/profiles`;
  const code = `${RUN_MARK}(function () {
  performance.mark('ctfl-step:cookie-read-start');
  var c = document.cookie;
  performance.mark('ctfl-step:cookie-read-end');
  var id = localStorage.getItem('ctfl-opt-minimal');
  var body = JSON.stringify({ events: [{ type: 'page', channel: 'web', messageId: String(Math.random()), timestamp: new Date().toISOString(), originalTimestamp: new Date().toISOString(), sentAt: new Date().toISOString(), context: { page: { url: location.href, path: location.pathname, title: document.title, referrer: document.referrer, search: location.search, query: {} }, locale: 'en-US', library: { name: 'minimal', version: '0' } }, properties: {}, anonymousId: id || c.length + '' }] });
  performance.mark('ctfl-step:fetch');
  fetch(${JSON.stringify(url)}, { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: body, keepalive: true, credentials: 'omit' }).catch(function () {});
})();
`;
  // Our code after it, compiled but never run: compiling a script this large makes its first
  // document.cookie read slower too (1 ms after a comment of the same size, about 5 ms after this).
  return `${code}if (0) {\n${bundle}\n}\n`;
}

/**
 * Runs before the bundle: queues a callback that subscribes to the runtime before any element does,
 * so the first thing that learns of a new selection is this probe. Once `window.__swap.armed`, the
 * next new selection sets t0; a microtask after the synchronous subscribers (the elements) ran sets
 * `committed`, and a message posted from the next animation frame (after it rendered) sets `painted`.
 */
const SWAP_PROBE = `
  window.__swap = { armed: false };
  window.optimization = window.optimization || [];
  window.optimization.push(function (sdk) {
    var last;
    sdk.subscribe(function (s) {
      var changed = last !== undefined && s.selectedOptimizations !== last;
      last = s.selectedOptimizations;
      var m = window.__swap;
      if (!changed || !m.armed || m.t0 !== undefined) return;
      m.t0 = performance.now();
      queueMicrotask(function () {
        m.committed = performance.now();
        var all = document.querySelectorAll('ctfl-optimized-entry');
        m.swapped = 0;
        for (var i = 0; i < all.length; i++) if (all[i].dataset.ctflVariantIndex === '1' && all[i].firstElementChild.textContent.indexOf(${JSON.stringify(HERO_VARIANT)}) === 0) m.swapped++;
        m.total = all.length;
        requestAnimationFrame(function () {
          var ch = new MessageChannel();
          ch.port1.onmessage = function () { m.painted = performance.now(); };
          ch.port2.postMessage(0);
        });
      });
    });
  });`;
