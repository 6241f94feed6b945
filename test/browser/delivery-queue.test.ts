// Issue 6, reliable delivery in one page: queues persisted in IndexedDB with persistence consent only,
// restored and sent by the next runtime, capped with onDrop, purged by consent(false)/reset();
// retries (Retry-After, 4xx drops), beacon chunks under 64 KB, one flush at a time and tabs in step.
// Two runtimes of one organization in one page stand in for two tabs: they share IndexedDB, Web
// Locks and BroadcastChannel exactly as two tabs of the origin do (the e2e suite uses real tabs).
import { deepEqual, equal, ok } from '../helpers/assert.js';
import {
  clearBrowserState, createRuntime, destroyRuntimes, experienceEventsFor, experienceRequestsFor, goOffline, goOnline, injectFault, insightsEventsFor,
  insightsRequestsFor, uniqueOrg, waitFor, whileHidden, within,
} from '../helpers/browser.js';
import type { DroppedEvents } from '../../src/browser/optimization.js';
import { parts } from '../../src/browser/parts.js';
import { emittedIds as ids, heroClick as click, persisted, QUIET } from '../helpers/queues.js';

describe('delivery: persisted queues', () => {
  beforeEach(clearBrowserState);
  afterEach(() => { destroyRuntimes(); goOnline(); });

  it('with persistence consent queued events are in IndexedDB; the next runtime restores and sends them with their messageIds', async () => {
    const org = uniqueOrg('q');
    const first = createRuntime({ clientId: org, defaults: { consent: true }, insights: QUIET });
    await first.page();
    await first.trackClick(click);
    await first.trackClick(click);
    goOffline();
    await first.track({ event: 'while-offline' });
    const want = { e: ids(first, 'experience').slice(1), i: ids(first, 'insights') };
    const stored = await waitFor(async () => { const p = await persisted(org); return p.e.length === 1 && p.i.length === 2 ? p : undefined; }, 2000, 'persisted');
    deepEqual(stored.e, want.e);
    deepEqual(stored.i, want.i);
    // The runtime goes away offline (nothing can be delivered); its tab lock is released once its
    // persisted copy is final, as when a tab closes.
    first.destroy();
    await waitFor(async () => !(await navigator.locks.query()).held?.some((l) => l.name?.startsWith(`${org}:`)), 2000, 'the first runtime gone');
    goOnline();
    const next = createRuntime({ clientId: org, defaults: { consent: true }, insights: QUIET });
    await next.ready;
    await next.flush();
    const delivered = await waitFor(async () => { const e = await insightsEventsFor(org); return e.length >= 2 ? e : undefined; }, 3000, 'restored Insights');
    deepEqual(delivered.map((e) => e.event.messageId).sort(), [...want.i].sort());
    // The restored Experience event goes out in its own request, which may land after the Insights one.
    const exp = await waitFor(async () => {
      const sent = (await experienceRequestsFor(org)).flatMap((r) => r.body.events.map((e: any) => e.messageId));
      return sent.includes(want.e[0]) ? sent : undefined;
    }, 3000, 'the offline Experience event went out with its messageId');
    equal(new Set(exp).size, exp.length, 'no Experience event twice');
    await waitFor(async () => (await persisted(org)).keys === 0, 2000, 'persisted queue emptied');
  });

  it('without persistence consent nothing is written to IndexedDB', async () => {
    const sdk = createRuntime({ defaults: { consent: true, persistenceConsent: false }, insights: QUIET });
    await sdk.page();
    await sdk.trackClick(click);
    goOffline();
    await sdk.track({ event: 'x' });
    // A first write of the queue asks for the adoption lock, in the microtasks after the event that
    // changed the queue: the first request below is granted once those have run, the second after
    // any write's lock — and IndexedDB orders the read below behind a write that began before it.
    const adopt = `${sdk.config.clientId}:adopt`;
    await navigator.locks.request(adopt, async () => {});
    await navigator.locks.request(adopt, async () => {});
    equal((await persisted(sdk.config.clientId)).keys, 0);
  });

  it('consent(false) and reset() purge the persisted queues too', async () => {
    for (const end of ['consent', 'reset'] as const) {
      const sdk = createRuntime({ defaults: { consent: true }, insights: QUIET });
      await sdk.page();
      await sdk.trackClick(click);
      await waitFor(async () => (await persisted(sdk.config.clientId)).i.length === 1, 2000, 'persisted');
      if (end === 'consent') sdk.consent(false); else sdk.reset();
      await waitFor(async () => (await persisted(sdk.config.clientId)).keys === 0, 2000, `purged by ${end}`);
    }
  });

  it('over its cap a queue drops the oldest events and reports them to onDrop', async () => {
    const drops: DroppedEvents[] = [];
    const sdk = createRuntime({ defaults: { consent: true }, insights: QUIET, queue: { maxInsightsEvents: 3, maxExperienceEvents: 2 }, onDrop: (d) => drops.push(d) });
    await sdk.page();
    for (let i = 0; i < 5; i++) await sdk.trackClick(click);
    const made = ids(sdk, 'insights');
    deepEqual(drops.filter((d) => d.api === 'insights').flatMap((d) => d.messageIds), made.slice(0, 2));
    ok(drops.every((d) => d.reason === 'cap'));
    await waitFor(async () => (await persisted(sdk.config.clientId)).i.length === 3, 2000, 'three kept');
    await sdk.flush();
    deepEqual((await insightsEventsFor(sdk.config.clientId)).map((e) => e.event.messageId), made.slice(2));
    goOffline();
    const results = await Promise.all([sdk.track({ event: 'a' }), sdk.track({ event: 'b' }), sdk.track({ event: 'c' })]);
    equal(results[0]!.accepted, false, 'the oldest Experience event was dropped');
    equal(drops.filter((d) => d.api === 'experience').length, 1);
  });

  it('without an onDrop, the dropped event\'s promise still settles as not accepted', async () => {
    const sdk = createRuntime({ defaults: { consent: true }, insights: QUIET, queue: { maxExperienceEvents: 1 } });
    await sdk.page();
    goOffline();
    const first = sdk.track({ event: 'a' });
    void sdk.track({ event: 'b' });
    deepEqual(await within(first, 2000), { accepted: false }, 'dropped over the cap: settled at once');
  });

  it('invalid config for queue caps throws E003 naming the field', () => {
    let error: unknown;
    try { createRuntime({ queue: { maxInsightsEvents: 0 } }); } catch (e) { error = e; }
    ok(String(error).includes('E003') && String(error).includes('queue.maxInsightsEvents'), String(error));
  });
});

describe('delivery: retries', () => {
  beforeEach(clearBrowserState);
  afterEach(destroyRuntimes);

  it('a 503 on Insights is retried by itself after Retry-After', async () => {
    const sdk = createRuntime({ defaults: { consent: true }, insights: QUIET });
    await sdk.page();
    await injectFault({ organization: sdk.config.clientId, api: 'insights', status: 503, headers: { 'Retry-After': '1' } });
    await sdk.trackClick(click);
    await sdk.flush();
    const events = await waitFor(async () => { const e = await insightsEventsFor(sdk.config.clientId); return e.length ? e : undefined; }, 4000, 'retried');
    equal(events.length, 1);
    const reqs = await insightsRequestsFor(sdk.config.clientId);
    deepEqual(reqs.map((r) => r.status), [503, 200]);
    ok(Date.parse(reqs[1]!.receivedAt) - Date.parse(reqs[0]!.receivedAt) >= 900, 'waited as asked');
  });

  it('a 4xx answer drops the events and reports them as refused', async () => {
    const drops: DroppedEvents[] = [];
    const sdk = createRuntime({ defaults: { consent: true }, insights: QUIET, onDrop: (d) => drops.push(d) });
    await sdk.page();
    await injectFault({ organization: sdk.config.clientId, api: 'insights', status: 400 });
    await sdk.trackClick(click);
    await sdk.flush();
    deepEqual(drops, [{ api: 'insights', reason: 'refused', messageIds: ids(sdk, 'insights') }]);
  });
});

describe('delivery: page hidden, several tabs', () => {
  beforeEach(clearBrowserState);
  afterEach(destroyRuntimes);

  it('hidden page: sendBeacon with text/plain chunks, each under 64 KB, every event once', async () => {
    const sdk = createRuntime({ defaults: { consent: true }, insights: QUIET });
    await sdk.page();
    for (let i = 0; i < 400; i++) await sdk.trackView({ ...click, viewId: `v-${i}-${'x'.repeat(200)}`, viewDurationMs: 1000 });
    const sizes: number[] = [];
    const original = navigator.sendBeacon;
    // Observes real beacons (they are delivered).
    navigator.sendBeacon = (url, data) => { sizes.push((data as Blob).size); return original.call(navigator, url, data); };
    try { await whileHidden(() => {}); } finally { navigator.sendBeacon = original; }
    ok(sizes.length > 1, `${sizes.length} chunks`);
    ok(sizes.every((s) => s < 65_536), `sizes ${sizes}`);
    const events = await waitFor(async () => { const e = await insightsEventsFor(sdk.config.clientId); return e.length >= 400 ? e : undefined; }, 4000, 'all beacons');
    equal(events.length, 400);
    const reqs = await insightsRequestsFor(sdk.config.clientId);
    equal(reqs.reduce((n, r) => n + r.body.flatMap((b: any) => b.events).length, 0), 400, 'no event sent twice');
  });

  it('two tabs flushing at once send every event once', async () => {
    const org = uniqueOrg('tabs');
    const a = createRuntime({ clientId: org, defaults: { consent: true }, insights: QUIET });
    await a.page();
    const b = createRuntime({ clientId: org, defaults: { consent: true }, insights: QUIET });
    for (let i = 0; i < 50; i++) { void a.trackClick(click); void b.trackClick(click); }
    await Promise.all([a.flush(), b.flush(), a.flush(), b.flush()]);
    const reqs = await insightsRequestsFor(org);
    const sent = reqs.flatMap((r) => r.body.flatMap((x: any) => x.events.map((e: any) => e.messageId)));
    equal(sent.length, 100);
    equal(new Set(sent).size, 100);
  });

  it('consent, reset() and a new profile in one tab reach the other at once', async () => {
    const org = uniqueOrg('sync');
    const a = createRuntime({ clientId: org, defaults: { consent: true }, insights: QUIET });
    const b = createRuntime({ clientId: org, defaults: { consent: true }, insights: QUIET });
    const { data } = await a.page();
    await waitFor(() => b.state.profile?.id === data!.profile.id, 1000, 'new profile in the other tab');
    await b.trackClick(click);
    a.consent(false);
    await waitFor(() => b.state.consent === false, 1000, 'consent in the other tab');
    equal((await b.trackClick(click)).accepted, false, 'the other tab sends nothing gated');
    await b.flush();
    equal((await insightsEventsFor(org)).length, 0, 'its queue was purged too');
    a.consent(true);
    await waitFor(() => b.state.consent === true, 1000, 'consent granted again');
    b.reset();
    await waitFor(() => a.state.profile === undefined, 1000, 'reset in the other tab');
  });
});

describe('delivery: before the durable queues arrive', () => {
  // The queues come with a chunk loaded after the first request (in the script-tag bundle, a file
  // next to it). Here they never arrive: a file that cannot be loaded does the same.
  let saved: typeof parts.QueueStore;
  beforeEach(async () => {
    await clearBrowserState();
    const warm = createRuntime({ defaults: { consent: true } });
    await warm.ready; // the queues' module is loaded once
    saved = parts.QueueStore;
    parts.QueueStore = undefined;
  });
  afterEach(() => { parts.QueueStore = saved; destroyRuntimes(); goOnline(); });

  it('events wait in memory and are delivered, once each', async () => {
    const sdk = createRuntime({ defaults: { consent: true }, insights: QUIET });
    await sdk.page();
    goOffline();
    const tracked = sdk.track({ event: 'while-offline' });
    goOnline();
    ok((await tracked).accepted);
    await waitFor(async () => (await experienceEventsFor(sdk.config.clientId)).length === 2, 3000, 'the queued event delivered');
    await sdk.flush();
    deepEqual((await experienceEventsFor(sdk.config.clientId)).map((e) => e.type), ['page', 'track'], 'both delivered, once each');
  });

  it('a page that goes away hands its waiting Experience events to the browser at once', async () => {
    const sdk = createRuntime({ defaults: { consent: true }, insights: QUIET });
    const org = sdk.config.clientId;
    await sdk.page();
    // The next request fails with a retry a minute away: only the page going away sends it sooner.
    await injectFault({ organization: org, api: 'experience', status: 503, headers: { 'Retry-After': '60' } });
    const leaving = async () => (await experienceEventsFor(org)).filter((e) => e.event === 'before-leaving').length;
    ok((await sdk.track({ event: 'before-leaving' })).accepted, 'queued for a retry');
    const refused = await leaving(); // the 503's request, if the emulator records it
    equal(sdk.queued.experience, 1, 'waiting in memory');
    window.dispatchEvent(new PageTransitionEvent('pagehide', { persisted: false }));
    await waitFor(async () => (await leaving()) === refused + 1, 3000, 'sent on pagehide, not a minute later');
    await sdk.flush(); // the emulator logs a request before the runtime has its answer: idle, the answer is in
    equal(sdk.queued.experience, 0);
  });
});
