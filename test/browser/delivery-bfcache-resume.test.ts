// A page back from the back/forward cache must not send what another page took over while it was
// away. The e2e suite (test/e2e/back-forward-cache.test.mjs) walks real navigations, where the race
// shows only now and then; here it is made certain. The runtime gets the real `pagehide`/`pageshow`
// events a cached page gets (synthetic PageTransitionEvents with `persisted`, the one thing a test
// page cannot produce for real), and the test itself plays the next page: while this one is away it
// adopts its persisted queue (deletes its key in IndexedDB), as another page of the site does.
// Then the page comes back and is flushed at once — before it could have learnt what was taken.
import { del } from 'idb-keyval';
import { deepEqual, equal, ok } from '../helpers/assert.js';
import { clearBrowserState, createRuntime, destroyRuntimes, insightsEventsFor, uniqueOrg, waitFor } from '../helpers/browser.js';
import { emittedIds, heroClick as click, persistedEntries, QUIET, queueDb } from '../helpers/queues.js';

describe('delivery: back from the back/forward cache', () => {
  beforeEach(clearBrowserState);
  afterEach(destroyRuntimes);

  it('what another page adopted meanwhile is not sent again, even by a flush made the moment the page is shown', async () => {
    const org = uniqueOrg('bf-resume');
    const sdk = createRuntime({ clientId: org, defaults: { consent: true }, insights: QUIET });
    ok((await sdk.page()).data, 'a profile for the Insights events');
    await sdk.ready;
    for (let i = 0; i < 3; i++) await sdk.trackClick(click);
    const before = emittedIds(sdk, 'insights');
    const written = await waitFor(async () => {
      const [key] = await persistedEntries(org);
      return key && key[1].i.length === 3 ? key : undefined;
    }, 3000, 'the three clicks in the persisted queue');

    // Into the back/forward cache: what is persisted stays for the next page (no beacon of it).
    window.dispatchEvent(new PageTransitionEvent('pagehide', { persisted: true }));
    // The next page adopts the queue (and would deliver it).
    await del(written[0], queueDb());
    // Back: shown again, and flushed at once, with a click made on coming back.
    window.dispatchEvent(new PageTransitionEvent('pageshow', { persisted: true }));
    const flushed = sdk.flush();
    await sdk.trackClick(click);
    await flushed;
    await sdk.flush();
    const after = emittedIds(sdk, 'insights').filter((id) => !before.includes(id));
    equal(after.length, 1);

    const sent = await waitFor(async () => {
      const got = (await insightsEventsFor(org)).map((e) => e.event.messageId as string);
      return got.includes(after[0]!) ? got : undefined;
    }, 3000, 'the click made after coming back');
    deepEqual(sent.filter((id) => before.includes(id)), [], 'none of the adopted clicks left this page');
    deepEqual(sent, after, 'only the new one did');
  });
});
