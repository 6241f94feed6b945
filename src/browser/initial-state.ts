/**
 * The runtime's first snapshot (profile-synchronization.txt, steps 1 to 4): consent resolved,
 * explicit data merged (the server handoff, then `defaults`), durable continuity read only with
 * persistence consent — and with persistence denied, what earlier pages kept is cleared.
 */
import { deepFreeze } from '../core/store.js';
import type { ContentfulOptimization } from './optimization.js';
import { readHandoff } from './handoff.js';
import type { OptimizationState } from './types.js';

export function initialState(rt: ContentfulOptimization): OptimizationState {
  const d = rt.config.defaults;
  const continuity = rt._continuity;
  // 1. Event consent and persistence consent: explicit defaults, then persisted values, then legacy
  //    accepted consent. A boolean `defaults.consent` maps to both.
  const stored = continuity._storedConsent();
  const consent = d.consent ?? stored.consent;
  // Stored event consent alone (consent({events: true})) says nothing about persistence.
  const persistenceConsent = d.persistenceConsent ?? d.consent ?? stored.persistence;

  // 2. Explicit defaults merged; the server handoff element is this page's explicit data.
  const handoff = rt.config.handoff
    ? readHandoff(rt._win.document, __DEV__ ? (why) => rt._log.debug(`server handoff ignored: ${why}`) : undefined)
    : undefined;
  let profile = handoff?.profile ?? (d.profile ? deepFreeze(d.profile) : undefined);
  let selectedOptimizations = handoff?.selectedOptimizations ?? (d.selectedOptimizations ? deepFreeze(d.selectedOptimizations) : undefined);
  let changes = handoff?.changes ?? (d.changes ? deepFreeze(d.changes) : undefined);

  // 3. Durable profile continuity only when persistence consent resolves to true.
  if (persistenceConsent === true) {
    const durable = continuity._load();
    profile ??= durable.profile;
    selectedOptimizations ??= durable.selectedOptimizations;
    changes ??= durable.changes;
  } else if (persistenceConsent === false) {
    continuity._clear();
    rt._stateEntries.clearDurable();
    // Queues a previous page persisted are durable SDK storage too (consent({persistence: false}) clears them).
    void rt._queues.clear();
  }

  // 4. The merged values, as one snapshot.
  return {
    profile, selectedOptimizations, changes, consent, persistenceConsent,
    blockedEvents: Object.freeze([]), events: Object.freeze([]),
    requestState: { status: 'idle' },
    online: rt._win.navigator?.onLine !== false,
  };
}
