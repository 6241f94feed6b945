// Hardening (issue 9): oversized input on the way out. Browsers refuse `fetch(…, {keepalive: true})`
// bodies over 64 KB outright ("Failed to fetch", as if the network were down), so an Experience
// request that large must still be delivered — and must never hold up the events queued behind it.
import { deepEqual, equal, ok } from '../helpers/assert.js';
import {
  clearBrowserState, createRuntime, destroyRuntimes, experienceRequestsFor, goOffline, goOnline, waitFor, watchPageErrors,
} from '../helpers/browser.js';

describe('oversized requests (3 cases)', () => {
  let errors: ReturnType<typeof watchPageErrors>;
  beforeEach(async () => { await clearBrowserState(); errors = watchPageErrors(); });
  afterEach(() => { destroyRuntimes(); goOnline(); deepEqual(errors.stop(), []); });

  it('identify() with 70 KB of traits is delivered, and the next event after it', async () => {
    const sdk = createRuntime({ defaults: { consent: true } });
    const { data } = await sdk.identify({ traits: { notes: 'x'.repeat(70_000) } });
    equal(sdk.state.requestState.status, 'success', 'delivered, not failing as a network error');
    equal(data?.profile.traits.notes, 'x'.repeat(70_000));
    await sdk.page();
    const reqs = await experienceRequestsFor(sdk.config.clientId);
    deepEqual(reqs.map((r) => [r.status, r.body.events.map((e: { type: string }) => e.type)]), [[200, ['identify']], [200, ['page']]]);
  });

  it('300 events queued offline (a body far over 64 KB) are all delivered once the browser is back online', async function () {
    this.timeout(20_000);
    const sdk = createRuntime({ defaults: { consent: true } });
    await sdk.page();
    goOffline();
    for (let i = 0; i < 300; i++) void sdk.track({ event: `offline-${i}`, properties: { i, padding: 'p'.repeat(200) } });
    goOnline();
    await waitFor(async () => (await experienceRequestsFor(sdk.config.clientId)).flatMap((r) => r.body.events).length >= 301, 10_000, 'all delivered');
    const reqs = await experienceRequestsFor(sdk.config.clientId);
    ok(reqs.every((r) => r.status === 200), JSON.stringify(reqs.map((r) => r.status)));
    equal(new Set(reqs.flatMap((r) => r.body.events.map((e: { messageId: string }) => e.messageId))).size, 301, 'each once');
    equal(sdk.state.requestState.status, 'success');
  });

  it('an event over the API\'s 1 MB limit is refused (413) and dropped, and the events after it are delivered', async () => {
    const dropped: string[] = [];
    const sdk = createRuntime({ defaults: { consent: true }, onDrop: (d) => dropped.push(...d.messageIds), logLevel: 'silent' });
    await sdk.identify({ traits: { notes: 'x'.repeat(1_100_000) } });
    equal(dropped.length, 1, 'reported to onDrop');
    await sdk.page();
    const reqs = await experienceRequestsFor(sdk.config.clientId);
    // The emulator drops the connection after its 413, as servers do with a body they will not
    // read: a browser that had not read the answer yet sees a reset, and the request may come again
    // (by the browser itself, or the runtime retrying a network error) — only ever refused.
    const refused = reqs.slice(0, -1);
    ok(refused.length >= 1 && refused.every((r) => r.status === 413), `refused: ${JSON.stringify(reqs.map((r) => r.status))}`);
    deepEqual(reqs.at(-1)!.status, 200, 'the page event after it delivered');
    deepEqual(reqs.at(-1)!.body.events.map((e: { type: string }) => e.type), ['page'], 'without the oversized identify');
    equal(sdk.state.requestState.status, 'success');
  });
});
