/**
 * Tabs in step: consent, reset() and a new profile reach the other tabs of this site at once, over
 * a BroadcastChannel — or, without one, storage events (storage-sync.ts; in the script-tag bundle
 * from its deferred chunk). Messages come from any script of this origin: validated like everything
 * else read from outside.
 */
import type { ConsentChoice } from '../core/consent.js';
import { deepFreeze } from '../core/store.js';
import { OptimizationData } from '../core/wire.js';
import { loadChunk } from './chunks.js';
import type { ContentfulOptimization } from './optimization.js';
import { parts } from './parts.js';
import { storageSync } from './storage-sync.js';

export type SyncMessage = { c?: ConsentChoice; r?: 1; d?: OptimizationData };

/**
 * Applies the other tabs' messages to `rt` and returns how `rt` tells them its own; a change made
 * because of another tab's message is not sent back. Closed by `teardown`.
 */
export function syncTabs(rt: ContentfulOptimization, ls: Storage | undefined, teardown: Array<() => void>): (m: SyncMessage) => void {
  const name = `ctfl-opt:${rt.config.clientId}`;
  /** True while applying another tab's change. */
  let remote = false;
  let send: ((m: SyncMessage) => void) | undefined;
  const receive = (raw: unknown) => {
    const m = raw as SyncMessage | null;
    if (!m || typeof m !== 'object') return;
    remote = true;
    try {
      if (m.c !== undefined) rt.consent(m.c); // consent() ignores fields that are not booleans
      else if (m.r === 1) rt.reset();
      else if (m.d !== undefined) {
        const d = OptimizationData.safeParse(m.d);
        if (d.success && d.data.profile.id !== rt._store.value.profile?.id) {
          rt._store.set({ profile: deepFreeze(d.data.profile), selectedOptimizations: deepFreeze(d.data.selectedOptimizations), changes: deepFreeze(d.data.changes) });
        }
      }
    } catch (error) {
      if (__DEV__) rt._log.debug('ignored a malformed message from another tab', error);
    } finally { remote = false; }
  };
  if (typeof BroadcastChannel === 'function') {
    const ch = new BroadcastChannel(name);
    ch.onmessage = (e) => receive(e.data);
    teardown.push(() => ch.close());
    send = (m) => ch.postMessage(m);
  } else {
    const start = (sync: typeof storageSync) => { if (!rt._destroyed) send = sync(rt._win, name, ls, receive, teardown); };
    if (!__UMD__) start(storageSync);
    else void loadChunk('deferred').then(() => parts.storageSync && start(parts.storageSync), () => {});
  }
  return (m) => { if (!remote && !rt._destroyed) send?.(m); };
}
