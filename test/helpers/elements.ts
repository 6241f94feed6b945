// Helpers for the element and script-tag suites: runtimes built from whichever ContentfulOptimization
// class the page uses (the source module or the bundle's global), fixtures mounted in the test page
// or written into an iframe, console and error traps, and reads of what the emulator received.
import type { ContentfulOptimization } from '../../src/browser/optimization.js';
import type { OptimizationConfig } from '../../src/browser/config.js';
import {
  EMULATOR, experienceEventsFor, fakeClock, insightsEventsFor, intersected, requestsFor, restoreClocks, uniqueOrg, waitFor,
} from './browser.js';

export type RuntimeClass = new (config: OptimizationConfig) => ContentfulOptimization;

/** A synthetic profile (valid per the wire schema), for tests that need Insights events to go out. */
export function makeProfile(id = `p-${uniqueOrg('profile')}`, traits: Record<string, unknown> = {}) {
  return {
    id, stableId: id, random: 0.5, audiences: [], traits: traits as never, location: {},
    session: {
      id: `s-${id}`, isReturningVisitor: false, count: 1, activeSessionLength: 0, averageSessionLength: 0,
      landingPage: { path: '/', query: {}, referrer: '', search: '', url: location.href },
    },
  };
}

/** A selected optimization: `variants` maps baseline id → variant id (`""` = empty variant). */
export const selection = (experienceId: string, variantIndex: number, variants: Record<string, string>, sticky = false) =>
  ({ experienceId, variantIndex, variants, sticky });

/** Runtimes made by one RuntimeClass; `destroyAll()` belongs in afterEach. */
export function runtimeFactory(getClass: () => RuntimeClass) {
  const live: ContentfulOptimization[] = [];
  return {
    create(config: Partial<OptimizationConfig> = {}): ContentfulOptimization {
      const Runtime = getClass();
      const sdk = new Runtime({
        clientId: uniqueOrg('el'),
        logLevel: 'warn',
        ...config,
        api: { experienceBaseUrl: EMULATOR, insightsBaseUrl: EMULATOR, ...config.api },
      } as OptimizationConfig);
      live.push(sdk);
      return sdk;
    },
    destroyAll(): void {
      for (const sdk of live.splice(0)) sdk.destroy();
    },
  };
}

/** A container in the test page holding `html` (custom elements in it upgrade on insertion). */
export function mount(html: string): HTMLDivElement {
  const div = document.createElement('div');
  div.className = 'fixture';
  div.innerHTML = html;
  document.body.append(div);
  return div;
}

export function unmountAll(): void {
  for (const el of document.querySelectorAll('.fixture, .fixture-frame')) el.remove();
  window.scrollTo(0, 0);
}

/**
 * Records console.warn / console.error calls (and still prints them). A spy and not a fake: the
 * only way to count how often a message was shown is to look at the calls.
 */
export function spyConsole(win: Window = window) {
  const warns: string[] = [];
  const errors: string[] = [];
  const c = (win as Window & typeof globalThis).console;
  const warn = c.warn;
  const error = c.error;
  c.warn = (...args: unknown[]) => { warns.push(args.map(String).join(' ')); warn.apply(c, args); };
  c.error = (...args: unknown[]) => { errors.push(args.map(String).join(' ')); error.apply(c, args); };
  return {
    warns, errors,
    /** Messages that carry a stable code, e.g. `ctfl-opt/E031`. */
    withCode: (code: string) => [...warns, ...errors].filter((m) => m.includes(`ctfl-opt/${code}`)),
    restore() { c.warn = warn; c.error = error; },
  };
}

/** Uncaught errors and unhandled rejections in `win` (never expected from the elements). */
export function trapErrors(win: Window = window) {
  const errors: string[] = [];
  const onError = (e: ErrorEvent) => errors.push(`error: ${e.message}`);
  const onRejection = (e: PromiseRejectionEvent) => errors.push(`unhandledrejection: ${String(e.reason?.message ?? e.reason)}`);
  win.addEventListener('error', onError);
  win.addEventListener('unhandledrejection', onRejection);
  return {
    errors,
    stop() {
      win.removeEventListener('error', onError);
      win.removeEventListener('unhandledrejection', onRejection);
    },
  };
}

/** Flushes the runtime's Insights queue, then reads what the emulator stored for its organization. */
export async function insightsOf(sdk: ContentfulOptimization): Promise<any[]> {
  await sdk.flush();
  return (await insightsEventsFor(sdk.config.clientId)).map((e) => e.event);
}

/** Waits until the emulator holds Insights events matching `pick` (at least `count` of them). */
export async function waitForInsights(sdk: ContentfulOptimization, pick: (e: any) => boolean, count = 1, timeout = 4000): Promise<any[]> {
  return waitFor<any[] | undefined>(async () => {
    const found = (await insightsOf(sdk)).filter(pick);
    return found.length >= count ? found : undefined;
  }, timeout, `${count} Insights event(s) for ${sdk.config.clientId}`) as Promise<any[]>;
}

export const isView = (componentId: string) => (e: any) => e.type === 'component' && e.componentId === componentId;

/** Experience API `component` events (sticky views) received for an organization. */
export async function experienceViews(org: string): Promise<any[]> {
  return (await experienceEventsFor(org)).filter((e) => e.type === 'component');
}

/** Page events the emulator received for an organization. */
export async function pageEvents(org: string): Promise<any[]> {
  return (await experienceEventsFor(org)).filter((e) => e.type === 'page');
}

export { requestsFor };

/**
 * The text a visitor sees in the element, whitespace collapsed: like innerText (rendered and
 * visible text only, blocks apart), but over the flat tree, so text an element renders in its
 * shadow root (a merge tag's value) counts and children a shadow root does not show do not.
 */
export const shownText = (el: Element) => flatText(el, '').replace(/\s+/g, ' ').trim();

function flatText(node: Node, visibility: string): string {
  // nodeType and localName, not instanceof: the node may be in a frame (another realm).
  if (node.nodeType === Node.TEXT_NODE) return visibility === 'visible' ? (node as Text).data : '';
  if (node.nodeType !== Node.ELEMENT_NODE) return '';
  const el = node as Element;
  const style = el.ownerDocument.defaultView!.getComputedStyle(el);
  if (style.display === 'none' || el.localName === 'script' || el.localName === 'style') return '';
  const assigned = el.localName === 'slot' ? (el as HTMLSlotElement).assignedNodes() : [];
  const kids = assigned.length ? assigned : [...(el.shadowRoot ?? el).childNodes];
  const inner = kids.map((k) => flatText(k, style.visibility)).join('');
  return el.localName === 'br' ? '\n' : /^(inline|contents)/.test(style.display) ? inner : `\n${inner}\n`;
}

/**
 * Resolves once the elements' pending updates are done, also those a DOM change just asked for:
 * mutation observers run first (a microtask after the change), then the updates they requested
 * (`updateComplete`, awaited until no further update was asked for).
 */
export async function updated(...els: Element[]): Promise<void> {
  await Promise.resolve();
  for (const el of els) {
    const u = el as unknown as { updateComplete?: Promise<boolean> };
    while (u.updateComplete && !(await u.updateComplete)) { /* another update was requested meanwhile */ }
  }
}

/**
 * Resolves once an image from `src` has failed (or loaded). An image of the same URL made before —
 * an `<img src=x onerror=…>` payload that became an element, even one never inserted — has had its
 * error event by then: a check that its handler never ran no longer looks too early.
 */
export function imageSettled(src: string, doc: Document = document): Promise<void> {
  return new Promise((resolve) => {
    const img = doc.createElement('img');
    img.onload = img.onerror = () => resolve();
    img.src = src;
  });
}

export function nextEvent<T extends Event>(target: EventTarget, type: string): Promise<T> {
  return new Promise((resolve) => target.addEventListener(type, (e) => resolve(e as T), { once: true }));
}

/** Center of an element, in viewport coordinates of the top-level page (for sendMouse). */
export function center(el: Element): [number, number] {
  const r = el.getBoundingClientRect();
  return [Math.round(r.left + r.width / 2), Math.round(r.top + r.height / 2)];
}

/**
 * An iframe whose document is written progressively with document.write, as a parser receives a
 * streamed page: `write()` chunks, check the DOM between chunks, then `close()`. document.open
 * gives the frame this page's URL, so root-relative script URLs load from the test server.
 */
export function openFrame(): { frame: HTMLIFrameElement; win: Window & typeof globalThis; doc: Document; write(html: string): void; close(): Promise<void> } {
  const frame = document.createElement('iframe');
  frame.className = 'fixture-frame';
  frame.style.cssText = 'width: 600px; height: 400px; border: 0';
  document.body.append(frame);
  const win = frame.contentWindow as Window & typeof globalThis;
  const doc = frame.contentDocument!;
  doc.open();
  return {
    frame, win, doc,
    write: (html) => doc.write(html),
    async close() {
      doc.close();
      await waitFor(() => doc.readyState === 'complete', 5000, 'frame load');
    },
  };
}

export { waitFor, EMULATOR, uniqueOrg, fakeClock, restoreClocks, intersected };
