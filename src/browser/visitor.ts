/**
 * Changes of who the visitor is and what may be kept of them (consent-management.txt,
 * profile-synchronization.txt): consent given or withdrawn, reset(), and a cookie that names another
 * profile. Each reaches the other tabs (tab-sync.ts) and purges what must not leave any more.
 */
import { normalizeConsentChoice, type ConsentChoice, type ConsentValue } from '../core/consent.js';
import type { ContentfulOptimization } from './optimization.js';
import { STORAGE_KEYS } from './storage.js';

export function setConsent(rt: ContentfulOptimization, choice: boolean | ConsentChoice): void {
  const c = normalizeConsentChoice(choice);
  const { _store: store, _continuity: continuity, _stateEntries: entries, _kv: kv } = rt;
  const before = store.value;
  const patch: { consent?: ConsentValue; persistenceConsent?: ConsentValue } = {};
  if (c.events !== undefined) {
    patch.consent = c.events;
    kv.set(STORAGE_KEYS.consent, c.events ? 'accepted' : 'denied');
  }
  if (c.persistence !== undefined) {
    patch.persistenceConsent = c.persistence;
    kv.set(STORAGE_KEYS.persistenceConsent, c.persistence ? 'accepted' : 'denied');
  }
  if (c.events === false) purgeQueues(rt, 'consent revoked');
  if (c.persistence === false) {
    // The persisted queues go (purgeQueues() has cleared them already when events went too).
    if (c.events !== false) void rt._queues.clear();
    continuity._clear();
    entries.clearDurable();
  }
  const grantedLater = c.persistence === true && before.persistenceConsent !== true;
  if (grantedLater) {
    // Granted later: load the durable anonymous id and run the cookie adoption check before the
    // state is mirrored, or the session's profile id would overwrite a server-set cookie first.
    continuity._id = continuity._storedId() ?? continuity._id;
    adoptCookie(rt);
  }
  store.set(patch);
  rt._post({ c });
  if (grantedLater) {
    rt._save();
    continuity._persist(store.value, true);
    entries.enablePersistence();
    entries.load();
  }
}

export function resetVisitor(rt: ContentfulOptimization): void {
  rt._generation++;
  purgeQueues(rt, 'reset');
  rt._continuity._clear();
  rt._stateEntries.clear();
  rt._store.set({
    profile: undefined, selectedOptimizations: undefined, changes: undefined, requestState: { status: 'idle' },
    events: Object.freeze([]), blockedEvents: Object.freeze([]),
  });
  rt._post({ r: 1 });
}

/** Steps 5 and 6 (continuity.ts); a cookie naming another profile ends the active one here. */
export function adoptCookie(rt: ContentfulOptimization): void {
  if (!rt._continuity._adoptCookie(rt._store.value.profile)) return;
  rt._generation++;
  rt._store.set({ profile: undefined, selectedOptimizations: undefined, changes: undefined });
}

/** Drops everything queued, in memory and persisted: nothing started before is retried or followed up. */
export function purgeQueues(rt: ContentfulOptimization, why: string): void {
  const dropped = rt._exp._purge().length + rt._ins._purge().length;
  rt._purges++;
  void rt._queues.clear();
  if (__DEV__ && dropped) rt._log.debug(`${why}: ${dropped} queued event(s) purged`);
}
