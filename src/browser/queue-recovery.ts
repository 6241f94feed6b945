/**
 * Durable queues taken up again — in the script-tag bundle from its deferred chunk, since they need
 * the chunk's IndexedDB store anyway: the queues of pages that are gone (a reload, a closed tab),
 * adopted behind what this page queued meanwhile, and a page back from the back/forward cache.
 */
import { isEventAllowed } from '../core/consent.js';
import type { ContentfulOptimization } from './optimization.js';
import type { Ev } from './queue-store.js';

/** Restores the queues of tabs that are gone and sends them. */
export async function restore(rt: ContentfulOptimization): Promise<void> {
  const purges = rt._purges;
  const q = await rt._queues.adopt();
  // Purged while adopting (consent(false), reset()): the adopted queues go too. And this page's
  // event consent applies: what it would block now never leaves.
  if (rt._store.value.persistenceConsent !== true || purges !== rt._purges) return;
  const allowed = (e: Ev) => isEventAllowed(e, rt._store.value.consent, rt.config.allowedEventTypes);
  const e = q.e.filter(allowed);
  const i = q.i.filter((p) => allowed(p.event));
  if (!e.length && !i.length) return;
  rt._exp._queue.unshift(...e.map((event) => ({ event, resolve: () => {} })));
  rt._ins._queue.unshift(...i);
  rt._cap();
  queueMicrotask(() => { void rt._exp._flush(); if (i.length) void rt._ins._flush(); });
}

/**
 * Back from the back/forward cache: what another page took over from this tab's queue meanwhile
 * is not sent again (it sends it); the rest is written again (without what was handed to
 * sendBeacon on the way out), queues of pages that are gone are adopted, and delivery goes on.
 */
export async function resume(rt: ContentfulOptimization): Promise<void> {
  if (rt._destroyed) return;
  const taken = await rt._queues.resume();
  if (taken.size) {
    for (const id of taken) rt._taken.add(id);
    rt._exp._queue = rt._exp._notTaken(rt._exp._queue);
    rt._ins._queue = rt._ins._notTaken(rt._ins._queue);
  }
  rt._save();
  if (rt._store.value.persistenceConsent === true) await restore(rt);
  void rt._exp._flush();
  void rt._ins._flush();
}
