/**
 * The page's lifecycle as the runtime's delivery sees it: the connection coming and going, the
 * page hidden or leaving (what is queued is handed to the browser), the back/forward cache, the
 * Insights flush interval, and a profile that releases Insights events waiting for one. Every
 * listener and timer is undone by `teardown` (destroy()).
 */
import { FORCED, LAST } from './delivery.js';
import { listen } from './listen.js';
import type { ContentfulOptimization } from './optimization.js';
import { currentRuntime, provideRuntime } from './registry.js';
import { loadChunk } from './chunks.js';
import { parts } from './parts.js';
import * as recovery from './queue-recovery.js';

export function followLifecycle(rt: ContentfulOptimization, teardown: Array<() => void>): void {
  const win = rt._win;
  const { _exp: exp, _ins: ins, _store: store } = rt;
  const on = <E extends Event>(target: EventTarget, type: string, fn: (e: E) => void) => listen(teardown, target, type, fn);
  on(win, 'online', () => {
    store.set({ online: true });
    exp._reset();
    ins._reset();
    void rt.flush();
  });
  on(win, 'offline', () => store.set({ online: false }));
  // Hidden pages may never come back: hand what is queued to the browser to deliver.
  // Experience events (not de-duplicated by the API) wait in the persisted queue for the next load;
  // without persistence consent they leave now with fetch keepalive.
  // Also while the persistence chunk has not arrived (or cannot be loaded): nothing is persisted yet.
  const away = () => {
    void ins._flush(LAST);
    if (store.value.persistenceConsent !== true || !rt._queues.durable) void exp._flush(FORCED);
  };
  on(win.document, 'visibilitychange', () => { if (win.document.visibilityState === 'hidden') away(); });
  // A page that may stay in the back/forward cache (`persisted`) writes nothing more to IndexedDB
  // (idb.ts) and lets its queue go to the next page; back from the cache, it takes up again.
  on(win, 'pagehide', (e: PageTransitionEvent) => {
    rt._leaving = e.persisted && store.value.persistenceConsent === true;
    away();
    if (e.persisted) rt._queues.suspend();
  });
  on(win, 'pageshow', (e: PageTransitionEvent) => { rt._leaving = false; if (e.persisted) void recoverQueues(rt, true); });
  const timer = setInterval(() => void ins._flush(), rt.config.insights.flushIntervalMs);
  teardown.push(() => clearInterval(timer));
  // A profile that appears later releases Insights events that were waiting for one.
  teardown.push(store.select('profile').subscribe((p) => {
    if (p && ins._queue.some((e) => !e.profileId)) void ins._flush();
  }));
}

/**
 * destroy(): what is queued is delivered (the gate lets nothing new in, no retry is scheduled), and
 * the persisted copy is final before another runtime can adopt the queues — so it is written once
 * no Experience request is out: a request in flight (which flush() does not wait for) would
 * otherwise stay in it although delivered, and be sent again by the next page.
 */
export function shutDown(rt: ContentfulOptimization): void {
  rt._destroyed = true;
  const { _exp: exp, _ins: ins, _queues: queues } = rt;
  // Elements connected from now on wait for another runtime instead of binding to this one.
  if (currentRuntime() === rt) provideRuntime(undefined);
  if (rt._store.value.persistenceConsent === true) queues.closing();
  // A delivery under way finishes first, then what is still queued leaves in one last pass — also a
  // track() made just before destroy(), which a pass already under way may have missed.
  const idle = async () => { while (exp._pass) await exp._pass; };
  const drain = async () => { await idle(); await exp._flush(LAST); await idle(); };
  // Until that last pass is over, other tabs are still heard: a consent withdrawal or reset() made
  // in one meanwhile purges what is left here too.
  void Promise.allSettled([drain(), ins._flush(LAST)]).then(() => {
    rt._saveNow();
    queues.close();
    for (const off of rt._syncTeardown.splice(0)) off();
  });
  for (const off of rt._teardown.splice(0)) off();
  exp._reset();
  ins._reset();
}

/**
 * The durable queues taken up again (queue-recovery.ts; in the script-tag bundle from its deferred
 * chunk): adopted when the runtime starts, or — `back` — on return from the back/forward cache,
 * when nothing leaves until it is known what another page took over meanwhile (delivery.ts).
 */
export function recoverQueues(rt: ContentfulOptimization, back?: boolean): Promise<void> {
  const run = (r: typeof recovery) => (back ? r.resume : r.restore)(rt);
  const p: Promise<void> = __UMD__ ? loadChunk('deferred').then(() => parts.recovery && run(parts.recovery), () => {}) : run(recovery);
  if (!back) return p;
  const resuming = rt._resuming = p.finally(() => { if (rt._resuming === resuming) rt._resuming = undefined; });
  return resuming;
}
