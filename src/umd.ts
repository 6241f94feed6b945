/**
 * The script-tag bundle: `<script src="optimization.umd.js" data-client-id="…">`.
 *
 * Defines the elements, exposes `window.ContentfulOptimization` (the class, constants and
 * `init(config)`), and — once configured from the script tag's data-attributes or
 * `window.ctflOptimizationConfig` (which wins) — the instance `window.optimization`. Callbacks pushed
 * onto a stub `window.optimization = window.optimization || []` before the bundle loaded run once it
 * is ready. Including the script twice is detected and harmless.
 *
 * `<ctfl-consent-bridge>` is not in this file: when the page has one (in its HTML or added later),
 * the bundle loads `optimization.consent-bridge.js` from its own directory, so pages without a
 * consent bridge do not pay for it. Likewise `<ctfl-preview-panel>` (`optimization.preview.js`),
 * loaded by `optimization.preview()`, `?ctfl-preview` in the page URL, or this tab's preview session.
 */
import { ContentfulOptimization } from './browser/optimization.js';
import type { OptimizationConfig } from './browser/config.js';
import { ANONYMOUS_ID_COOKIE } from './browser/cookies.js';
import { HANDOFF_ELEMENT_ID } from './browser/handoff.js';
import { consoleLog, OptimizationError } from './core/log.js';
import { defineContentElements } from './elements/define.js';
import { loadChunk, setChunkSource, type ChunkName } from './browser/chunks.js';
import { SHARED, shared } from './chunks/shared.js';
import { PREVIEW_SESSION_KEY } from './browser/overrides.js';
import { parts } from './browser/parts.js';
import { routeKeyOf } from './browser/route-key.js';

type Callback = (sdk: ContentfulOptimization) => void;
interface Stub extends Array<Callback> {}
interface GlobalWithSdk {
  ContentfulOptimization?: unknown;
  optimization?: ContentfulOptimization | Stub;
  ctflOptimizationConfig?: Partial<OptimizationConfig>;
  __ctflOptimizationLoaded__?: boolean;
}

const g = window as unknown as GlobalWithSdk;
let bridgeLoaded: Promise<void> | undefined;
const script = document.currentScript as HTMLScriptElement | null;

if (g.__ctflOptimizationLoaded__) {
  consoleLog().warn('E005', script?.src);
} else {
  g.__ctflOptimizationLoaded__ = true;
  defineContentElements();
  // loadConsentBridge(): for a bridge the bundle cannot see (inside a shadow root).
  const api = Object.assign(ContentfulOptimization, {
    init: (config: OptimizationConfig) => init(config), ANONYMOUS_ID_COOKIE, HANDOFF_ELEMENT_ID, OptimizationError, loadConsentBridge: () => loadChunk('consent-bridge'),
  });
  Object.defineProperty(api, SHARED, { value: shared });
  g.ContentfulOptimization = api;
  const src = script?.src || document.querySelector<HTMLScriptElement>('script[src*="optimization.umd"]')?.src;
  if (src) setChunkSource(src, script?.nonce);
  // A bridge already in the page (markup before this script) decides consent before the automatic
  // page() event, as it would if it were in this file: that page() waits for its chunk.
  bridgeLoaded = loadWhenUsed('ctfl-consent-bridge', 'consent-bridge');
  const config = readConfig();
  if (config) {
    try { init(config, true); } catch (error) { console.error(String((error as Error).message ?? error)); }
  }
}

/**
 * Loads a chunk as soon as the page has the element: now, or when one is added (a live
 * HTMLCollection, checked once per batch of DOM changes until it appears).
 */
function loadWhenUsed(tag: string, chunk: ChunkName): Promise<void> | undefined {
  const found = document.getElementsByTagName(tag);
  const observer = new MutationObserver(check);
  function check(): Promise<void> | undefined {
    if (!found.length) return undefined;
    observer.disconnect();
    return loadChunk(chunk).catch(warnOf);
  }
  observer.observe(document, { childList: true, subtree: true });
  return check();
}

/** Creates the instance, exposes it as `window.optimization`, runs queued callbacks, sends `page()`. */
function init(config: OptimizationConfig, fromTag?: boolean): ContentfulOptimization {
  if (g.optimization instanceof ContentfulOptimization) return g.optimization;
  const queued = Array.isArray(g.optimization) ? g.optimization.splice(0) : [];
  const sdk = new ContentfulOptimization(config);
  // A stub queue keeps working after load: push() runs the callback at once.
  Object.defineProperty(sdk, 'push', { value: (fn: Callback) => run(fn, sdk), enumerable: false });
  g.optimization = sdk;
  for (const fn of queued) run(fn, sdk);
  if (config.autoPage !== false) {
    if (bridgeLoaded) void bridgeLoaded.then(() => sdk.page());
    else {
      void sdk.page();
      // From the script tag the request leaves now, not after the rest of this script, with what the
      // stub's callbacks queued. A caller of init() may still add to it (or withdraw consent) in its task.
      if (fromTag) void sdk._exp._flush();
    }
    // Single-page apps: a page event per new route too (`autoPage: 'load'`: the load's only), from
    // the deferred chunk; a route change made before it arrives is reported when it does.
    if (config.autoPage !== 'load') {
      const since = { route: routeKeyOf(location), url: location.href };
      loadChunk('deferred').then(() => parts.trackRouteChanges?.(sdk, window, since), warnOf);
    }
  }
  // `?ctfl-preview` in the URL (that parameter, not any query that contains the text, e.g.
  // utm_content=ctfl-preview-test), or a preview session in this tab (a reload, the next page): the
  // preview panel, from its own chunk.
  try {
    if (/[?&]ctfl-preview(?:[=&]|$)/.test(location.search) || sessionStorage.getItem(PREVIEW_SESSION_KEY)) {
      sdk.preview().catch(warnOf);
    }
  } catch { /* no sessionStorage here: no preview session either */ }
  return sdk;
}

/** A chunk that could not be loaded (E008) is reported, and the page goes on without it. */
function warnOf(error: Error): void { console.warn(error.message); }

function run(fn: unknown, sdk: ContentfulOptimization): void {
  if (typeof fn !== 'function') return;
  try { fn(sdk); } catch (error) { sdk._log.error('E006', '', error); }
}

/** `data-*` attributes of the script tag, overridden by `window.ctflOptimizationConfig`. */
function readConfig(): OptimizationConfig | undefined {
  const d = script?.dataset ?? {};
  const fromWindow = g.ctflOptimizationConfig ?? {};
  const attr: Partial<OptimizationConfig> = {};
  if (d.clientId) attr.clientId = d.clientId;
  if (d.environment) attr.environment = d.environment;
  if (d.locale) attr.locale = d.locale;
  const api: NonNullable<OptimizationConfig['api']> = {};
  if (d.experienceUrl) api.experienceBaseUrl = d.experienceUrl;
  if (d.insightsUrl) api.insightsBaseUrl = d.insightsUrl;
  if (d.features) api.enabledFeatures = list(d.features);
  if (d.preflight) api.preflight = d.preflight === 'true';
  if (d.allowedEventTypes !== undefined) attr.allowedEventTypes = list(d.allowedEventTypes);
  const defaults: NonNullable<OptimizationConfig['defaults']> = {};
  const consent = bool(d.consent, 'data-consent');
  const persistence = bool(d.persistenceConsent, 'data-persistence-consent');
  if (consent !== undefined) defaults.consent = consent;
  if (persistence !== undefined) defaults.persistenceConsent = persistence;
  const cookie: NonNullable<OptimizationConfig['cookie']> = {};
  if (d.cookieDomain) cookie.domain = d.cookieDomain;
  if (d.cookieExpires) cookie.expires = Number(d.cookieExpires);
  // Only what the attributes give: an empty object would be a configuration of its own.
  const some = (o: object) => (Object.keys(o).length ? o : undefined);
  if (some(api)) attr.api = api;
  if (some(defaults)) attr.defaults = defaults;
  if (some(cookie)) attr.cookie = cookie;
  if (d.logLevel) attr.logLevel = d.logLevel as OptimizationConfig['logLevel'];
  if (d.autoPage !== undefined) attr.autoPage = d.autoPage === 'load' ? 'load' : d.autoPage !== 'false';
  const merged = {
    ...attr, ...fromWindow,
    api: { ...attr.api, ...fromWindow.api },
    defaults: { ...attr.defaults, ...fromWindow.defaults },
  } as OptimizationConfig;
  if (!merged.clientId) {
    // Also with a window.ctflOptimizationConfig that lacks clientId: otherwise nothing says why
    // the page is not personalized.
    if (script) {
      consoleLog().error('E004', `data-client-id${g.ctflOptimizationConfig ? ', ctflOptimizationConfig.clientId' : ''}`);
    }
    return undefined;
  }
  return merged;
}

function list(v: string): string[] {
  return v.split(/[\s,]+/).map((s) => s.trim()).filter(Boolean);
}

function bool(v: string | undefined, name: string): boolean | undefined {
  if (v === undefined || v === '') return undefined;
  if (v === 'true' || v === 'granted') return true;
  if (v === 'false' || v === 'denied') return false;
  consoleLog().warn('E007', `${name}="${v}"`);
  return undefined;
}
