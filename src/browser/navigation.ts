/**
 * Page events for single-page apps: one per new route, from the runtime's public
 * `trackCurrentPage()`. The route is the path and query: a hash change, a `replaceState()` to the
 * same URL or a scroll-state update (routers store scroll positions with `replaceState`) is not a
 * new route.
 *
 * Route changes are seen with the Navigation API (`navigation`'s `currententrychange`: pushes,
 * replaces and traversals) where the browser has it, otherwise by wrapping `history.pushState` and
 * `history.replaceState` and listening to `popstate`. The page event waits for the next frame, so
 * the router has rendered the route and set its `document.title`; it carries the page's path, query
 * and title then, and the previous route as its referrer (as a page load within the site would).
 *
 * From the URL change until that event is answered, `<ctfl-optimized-entry>` elements that connect
 * (those the router renders for the new route) wait for the answer, hidden as on a first load, so
 * they decide from the audiences the new page view gives.
 */
import type { ContentfulOptimization } from './optimization.js';
import { routeKeyOf } from './route-key.js';
import { routesPending as pending } from './route-state.js';

/**
 * Sends a page event on every route change of this window until the returned function is called.
 * The route the page is on now counts as reported (the load's `page()` sent it) — or, with `since`,
 * the route the page was on then: a change made in between is reported at once.
 */
export function trackRouteChanges(optimization: ContentfulOptimization, win: Window = window, since?: { route: string; url: string }): () => void {
  let route = since?.route ?? routeKeyOf(win.location);
  let reportedUrl = since?.url ?? win.location.href;
  let stopped = false;
  void optimization.trackCurrentPage({ routeKey: route, initialPageEvent: 'skip' });

  const changed = () => {
    const key = routeKeyOf(win.location);
    if (stopped || key === route) return;
    route = key;
    let settle!: () => void;
    const answer = new Promise<void>((resolve) => { settle = resolve; });
    pending.set(optimization, answer);
    const done = () => {
      if (pending.get(optimization) === answer) pending.delete(optimization);
      settle();
    };
    afterRender(win, () => {
      // A newer route superseded this one within the frame (a redirect): only that one is reported.
      if (stopped || route !== key) { done(); return; }
      const referrer = reportedUrl;
      reportedUrl = win.location.href;
      optimization.trackCurrentPage({ routeKey: key, properties: { referrer } }).then(done, done);
    });
  };

  const nav = (win as Window & { navigation?: EventTarget }).navigation;
  let off: () => void;
  if (nav && typeof nav.addEventListener === 'function') {
    nav.addEventListener('currententrychange', changed);
    off = () => nav.removeEventListener('currententrychange', changed);
  } else {
    const listeners = historyListeners(win);
    listeners.add(changed);
    win.addEventListener('popstate', changed);
    off = () => { listeners.delete(changed); win.removeEventListener('popstate', changed); };
  }
  changed();
  return () => {
    stopped = true;
    off();
  };
}

/**
 * One wrapper of `pushState`/`replaceState` per window, whoever tracks: trackers come and go (a
 * runtime destroyed, a re-initialized app) without stacking wrappers or keeping stopped runtimes.
 * The wrapper stays once installed (another script may have wrapped the methods since).
 */
const wrapped = new WeakMap<Window, Set<() => void>>();
function historyListeners(win: Window): Set<() => void> {
  let set = wrapped.get(win);
  if (set) return set;
  const listeners = (set = new Set());
  wrapped.set(win, set);
  const h = win.history;
  for (const method of ['pushState', 'replaceState'] as const) {
    const original = h[method];
    h[method] = function (this: History, ...args: Parameters<History['pushState']>) {
      const result = original.apply(this, args);
      for (const fn of [...listeners]) fn();
      return result;
    };
  }
  return set;
}

/** After the next frame (a hidden page has none: then after 100 ms), once. */
function afterRender(win: Window, fn: () => void): void {
  let called = false;
  const once = () => { if (!called) { called = true; fn(); } };
  win.requestAnimationFrame(() => win.setTimeout(once, 0));
  win.setTimeout(once, 100);
}
