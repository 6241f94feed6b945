// The delivery queues as the browser suites look at them: a click payload on the test space's hero,
// Insights settings that never flush on their own, and the persisted queues in IndexedDB (the
// store src/browser/queue-store.ts writes: one key per tab, `<clientId>:<tab>`).
import { createStore, entries } from 'idb-keyval';
import { SPACE } from './browser.js';

export const heroClick = { componentId: SPACE.heroBaseline, experienceId: SPACE.heroExperience, variantIndex: 0 };
/** Insights settings under which only a test (flush(), pagehide) makes a batch leave. */
export const QUIET = { flushIntervalMs: 60_000, batchSize: 10_000 };
export const queueDb = () => createStore('ctfl-optimization-queue', 'queues');

type Saved = { e: Array<{ messageId: string }>; i: Array<{ event: { messageId: string } }> };

/** The persisted queues of an organization as stored: `[key, { e, i }]` per tab. */
export async function persistedEntries(org: string): Promise<Array<[string, Saved]>> {
  return (await entries<string, Saved>(queueDb())).filter(([k]) => String(k).startsWith(`${org}:`));
}

/** The persisted queues of an organization: how many tabs' keys, and the messageIds of every tab, merged. */
export async function persisted(org: string) {
  const all = await persistedEntries(org);
  return { keys: all.length, e: all.flatMap(([, v]) => v.e.map((x) => x.messageId)), i: all.flatMap(([, v]) => v.i.map((x) => x.event.messageId)) };
}

/** The messageIds of the events a runtime made for `api`, oldest first (its `events` state). */
export const emittedIds = (sdk: { state: { events: ReadonlyArray<{ api: string; messageId: string }> } }, api: string) =>
  sdk.state.events.filter((e) => e.api === api).map((e) => e.messageId);
