// client-state-protocol.txt: `state:store` handles in Experience responses are kept client-side,
// respecting maxAge, and every un-expired entry goes back in `meta.state.entries`. Durable entries
// follow persistence consent (localStorage, or first-party cookies in cookie mode).
import { deepEqual, equal, ok } from '../helpers/assert.js';
import {
  clearBrowserState, cookieInfo, ENGINE, createRuntime, destroyRuntimes, experienceRequestsFor, fakeClock, injectFault, readStoredStateEntries,
  responseBody, restoreClocks, stateEntryPrefix, uniqueOrg, waitFor, writeStoredStateEntries,
} from '../helpers/browser.js';

const keysSent = (req: { body: any } | undefined) => ((req?.body?.meta?.state?.entries ?? []) as Array<{ key: string }>).map((e) => e.key).sort();
const handle = (payload: unknown[]) => [{ type: 'state:store', payload }];

describe('client-state protocol (client-state-protocol.txt)', () => {
  beforeEach(clearBrowserState);
  afterEach(() => { restoreClocks(); destroyRuntimes(); });

  it('state:store entries from a response are stored and included in meta.state.entries of the next request', async () => {
    const sdk = createRuntime();
    const org = sdk.config.clientId;
    await sdk.page();
    await sdk.identify({ userId: 'u-1' });
    const [first, second] = await experienceRequestsFor(org);
    equal(first!.body.meta, undefined, 'nothing to send before the first response');
    deepEqual(keysSent(second), [`kndctr_${org}_consent_check`, `kndctr_${org}_session`]);
    const session = second!.body.meta.state.entries.find((e: { key: string }) => e.key.endsWith('_session'));
    equal(session.value, sdk.state.profile!.session.id, 'the value is passed back untouched');
  });

  it('entries without maxAge are stored only for the current page session', async () => {
    const org = uniqueOrg('state');
    const first = createRuntime({ clientId: org, defaults: { consent: true } });
    await first.page();
    await waitFor(() => readStoredStateEntries(org), 2000, 'durable entries');
    const stored = (await readStoredStateEntries(org))!.map((e) => e.key);
    deepEqual(stored, [`kndctr_${org}_session`], 'consent_check (no maxAge) is not durable');
    first.destroy();
    const next = createRuntime({ clientId: org, defaults: { consent: true } });
    await next.page();
    const reqs = await experienceRequestsFor(org);
    deepEqual(keysSent(reqs[1]), [`kndctr_${org}_session`], 'the next page load only has the durable entry');
  });

  it('durable entries (maxAge) go to localStorage with their expiry when persistence consent is true', async () => {
    const sdk = createRuntime({ defaults: { consent: true } });
    const before = Date.now();
    await sdk.page();
    const stored = await waitFor(() => readStoredStateEntries(sdk.config.clientId), 2000, 'stored entries');
    equal(stored.length, 1);
    equal(stored[0].value, sdk.state.profile!.session.id);
    ok(Math.abs(stored[0].expiresAt - (before + 1800_000)) < 10_000, 'expiresAt = now + maxAge');
  });

  it('durable entries are not written to localStorage without persistence consent', async () => {
    const sdk = createRuntime({ defaults: { consent: true, persistenceConsent: false } });
    await sdk.page();
    await sdk.page();
    await sdk.flush(); // idle: every answer applied (entries are stored with the answer that brings them)
    equal(await readStoredStateEntries(sdk.config.clientId), undefined);
    deepEqual(keysSent((await experienceRequestsFor(sdk.config.clientId))[1]).length, 2, 'but kept in memory for this page');
  });

  it('durable entries are loaded by a new runtime (the next page load) and sent with its first request', async () => {
    const org = uniqueOrg('state');
    await writeStoredStateEntries(org, [{ key: `${stateEntryPrefix(org)}identity`, value: 'opaque==', expiresAt: Date.now() + 60_000 }]);
    const sdk = createRuntime({ clientId: org, defaults: { consent: true } });
    await sdk.ready;
    await sdk.page();
    const [req] = await experienceRequestsFor(org);
    deepEqual(req!.body.meta.state.entries, [{ key: `${stateEntryPrefix(org)}identity`, value: 'opaque==' }]);
  });

  it('expired durable entries are filtered out and never sent', async () => {
    const org = uniqueOrg('state');
    await writeStoredStateEntries(org, [
      { key: `${stateEntryPrefix(org)}old`, value: 'stale', expiresAt: Date.now() - 1000 },
      { key: `${stateEntryPrefix(org)}fresh`, value: 'ok', expiresAt: Date.now() + 60_000 },
      { key: `${stateEntryPrefix(org)}broken`, value: 42, expiresAt: Date.now() + 60_000 },
    ]);
    const sdk = createRuntime({ clientId: org, defaults: { consent: true } });
    await sdk.page();
    deepEqual(keysSent((await experienceRequestsFor(org))[0]), [`${stateEntryPrefix(org)}fresh`]);
  });

  it('an entry expires in memory after maxAge seconds', async () => {
    const sdk = createRuntime();
    const org = sdk.config.clientId;
    await injectFault({ organization: org, api: 'experience', status: 200, body: responseBody('short-lived', {
      handle: handle([{ key: `kndctr_${org}_brief`, value: '1', maxAge: 1 }, { key: `kndctr_${org}_long`, value: '2', maxAge: 600 }]),
    }) });
    await sdk.page();
    await sdk.page();
    const clock = fakeClock(['Date']); // maxAge is counted on the wall clock
    clock.tick(1100);
    await sdk.page();
    const reqs = await experienceRequestsFor(org);
    ok(keysSent(reqs[1]).includes(`kndctr_${org}_brief`), 'sent while fresh');
    ok(!keysSent(reqs[2]).includes(`kndctr_${org}_brief`), 'dropped once expired');
    ok(keysSent(reqs[2]).includes(`kndctr_${org}_long`));
  });

  it('an entry with maxAge 0 is removed', async () => {
    const sdk = createRuntime({ defaults: { consent: true } });
    const org = sdk.config.clientId;
    await sdk.page();
    await waitFor(() => readStoredStateEntries(org), 2000);
    await injectFault({ organization: org, api: 'experience', status: 200, body: responseBody(sdk.state.profile!.id, {
      handle: handle([{ key: `kndctr_${org}_session`, maxAge: 0 }]),
    }) });
    await sdk.page();
    await waitFor(async () => (await readStoredStateEntries(org)) === undefined, 2000, 'durable copy removed');
    await sdk.page();
    ok(!keysSent((await experienceRequestsFor(org))[2]).includes(`kndctr_${org}_session`));
  });

  it('a malformed state:store handle is ignored; the response itself is still used', async () => {
    const sdk = createRuntime();
    const org = sdk.config.clientId;
    await injectFault({ organization: org, api: 'experience', status: 200, body: responseBody('handled', {
      handle: [{ type: 'state:store', payload: [{ key: `kndctr_${org}_bad`, value: 42, maxAge: 'forever' }] }, { type: 'other:thing', payload: 1 }],
    }) });
    const { data } = await sdk.page();
    equal(data?.profile.id, 'handled');
    await sdk.page();
    equal((await experienceRequestsFor(org))[1]!.body.meta, undefined);
  });

  it('entries of another organization (another SDK instance on the page) are ignored', async () => {
    const sdk = createRuntime();
    const org = sdk.config.clientId;
    await injectFault({ organization: org, api: 'experience', status: 200, body: responseBody('multi-tag', {
      handle: handle([{ key: 'kndctr_someone-else_identity', value: 'x', maxAge: 600 }, { key: `kndctr_${org}_mine`, value: 'y' }]),
    }) });
    await sdk.page();
    await sdk.page();
    deepEqual(keysSent((await experienceRequestsFor(org))[1]), [`kndctr_${org}_mine`]);
  });

  it('cookie mode (stateEntries: { cookies: true, domain: location.hostname }) stores durable entries as first-party cookies', async () => {
    const org = uniqueOrg('state');
    const config = { clientId: org, defaults: { consent: true }, stateEntries: { cookies: true, domain: location.hostname } };
    const sdk = createRuntime(config);
    await sdk.page();
    const cookie = await cookieInfo(`kndctr_${org}_session`);
    equal(cookie?.value, sdk.state.profile!.session.id);
    equal(cookie?.path, '/');
    equal(cookie?.sameSite, 'lax', 'attrs.SameSite from the response');
    ok(Math.abs(cookie!.expires! - (Date.now() + 1800_000)) < 60_000, 'Max-Age from maxAge');
    equal(await cookieInfo(`kndctr_${org}_consent_check`), undefined, 'session-only entries are not cookies');
    equal(await readStoredStateEntries(org), undefined, 'not in localStorage');
    sdk.destroy();
    const next = createRuntime(config);
    await next.page();
    deepEqual(keysSent((await experienceRequestsFor(org))[1]), [`kndctr_${org}_session`], 'read back from the cookie');
  });

  it('cookie mode: an entry with SameSite=None is written with Secure', async function () {
    // The suites are served over http from 127.0.0.1, a secure context: Chromium and Firefox keep
    // Secure cookies there, so both attributes can be read back for real. WebKit keeps no Secure
    // cookie set from an http page at all (the cookie would be refused whatever the SDK wrote).
    if (ENGINE === 'webkit') this.skip();
    const sdk = createRuntime({ defaults: { consent: true }, stateEntries: { cookies: true, domain: location.hostname } });
    const org = sdk.config.clientId;
    await injectFault({ organization: org, api: 'experience', status: 200, body: responseBody('cross-site', {
      handle: handle([{ key: `kndctr_${org}_identity`, value: 'abc', maxAge: 600, attrs: { SameSite: 'None' } }]),
    }) });
    await sdk.page();
    const cookie = await cookieInfo(`kndctr_${org}_identity`);
    equal(cookie?.sameSite, 'none');
    equal(cookie?.secure, true);
  });

  it('cookie mode is not used when the page is not on the configured domain (localStorage instead)', async () => {
    const sdk = createRuntime({ defaults: { consent: true }, stateEntries: { cookies: true, domain: 'example.com' } });
    await sdk.page();
    equal(await cookieInfo(`kndctr_${sdk.config.clientId}_session`), undefined);
    await waitFor(() => readStoredStateEntries(sdk.config.clientId), 2000, 'localStorage instead');
  });

  it('consent({ persistence: false }) removes durable entries (localStorage and cookies) and keeps the in-memory session', async () => {
    const idb = createRuntime({ defaults: { consent: true } });
    await idb.page();
    await waitFor(() => readStoredStateEntries(idb.config.clientId), 2000);
    idb.consent({ persistence: false });
    await waitFor(async () => (await readStoredStateEntries(idb.config.clientId)) === undefined, 2000, 'stored entries removed');
    await idb.page();
    equal(keysSent((await experienceRequestsFor(idb.config.clientId))[1]).length, 2, 'this page session keeps its entries');
    await idb.flush(); // idle: the answer applied
    equal(await readStoredStateEntries(idb.config.clientId), undefined, 'and does not write them again');

    const cookies = createRuntime({ defaults: { consent: true }, stateEntries: { cookies: true, domain: location.hostname } });
    await cookies.page();
    ok(await cookieInfo(`kndctr_${cookies.config.clientId}_session`));
    cookies.consent({ persistence: false });
    equal(await cookieInfo(`kndctr_${cookies.config.clientId}_session`), undefined);
  });

  it('persistence consent that resolves to false at startup removes durable entries of a previous visit', async () => {
    const org = uniqueOrg('state');
    await writeStoredStateEntries(org, [{ key: `${stateEntryPrefix(org)}identity`, value: 'old', expiresAt: Date.now() + 60_000 }]);
    document.cookie = `${stateEntryPrefix(org)}identity=old; Path=/; Max-Age=600`;
    const sdk = createRuntime({ clientId: org, defaults: { consent: true, persistenceConsent: false } });
    await waitFor(async () => (await readStoredStateEntries(org)) === undefined, 2000, 'stored entries removed');
    equal(await cookieInfo(`${stateEntryPrefix(org)}identity`), undefined, 'cookie entries removed');
    await sdk.page();
    equal((await experienceRequestsFor(org))[0]!.body.meta, undefined, 'and not sent');
  });

  it('persistence consent granted later writes the entries held in memory', async () => {
    const sdk = createRuntime();
    await sdk.page();
    equal(await readStoredStateEntries(sdk.config.clientId), undefined);
    sdk.consent(true);
    const stored = await waitFor(() => readStoredStateEntries(sdk.config.clientId), 2000, 'entries written on consent');
    deepEqual(stored.map((e: { key: string }) => e.key), [`kndctr_${sdk.config.clientId}_session`]);
  });

  it('reset() forgets every entry', async () => {
    const sdk = createRuntime({ defaults: { consent: true } });
    await sdk.page();
    await waitFor(() => readStoredStateEntries(sdk.config.clientId), 2000);
    sdk.reset();
    await waitFor(async () => (await readStoredStateEntries(sdk.config.clientId)) === undefined, 2000, 'durable copies removed');
    await sdk.page();
    equal((await experienceRequestsFor(sdk.config.clientId))[1]!.body.meta, undefined, 'nothing sent after reset');
  });
  it('persistence withdrawn right after start: nothing is written back to localStorage', async () => {
    const org = uniqueOrg('state');
    // An expired entry beside a valid one: reading them back rewrites the record without the expired one.
    await writeStoredStateEntries(org, [
      { key: `${stateEntryPrefix(org)}old`, value: 'stale', expiresAt: Date.now() - 1000 },
      { key: `${stateEntryPrefix(org)}identity`, value: 'kept', expiresAt: Date.now() + 60_000 },
    ]);
    const sdk = createRuntime({ clientId: org, defaults: { consent: true } });
    sdk.consent({ persistence: false }); // right after the stored entries were read
    await sdk.ready;
    await sdk.flush(); // idle: what the start-up took over is delivered or dropped
    equal(await readStoredStateEntries(org), undefined, 'the withdrawal removed the record and nothing brought it back');
  });

  it('reset() right after start: the old entries are not sent afterwards', async () => {
    const org = uniqueOrg('state');
    await writeStoredStateEntries(org, [{ key: `${stateEntryPrefix(org)}identity`, value: 'previous-visitor', expiresAt: Date.now() + 60_000 }]);
    const sdk = createRuntime({ clientId: org, defaults: { consent: true } });
    sdk.reset(); // right after the stored entries were read
    await sdk.ready;
    await sdk.page();
    equal((await experienceRequestsFor(org))[0]!.body.meta, undefined, 'nothing of the previous identity is sent');
    await sdk.flush(); // idle: every answer applied
    const stored: Array<{ value: string }> = (await readStoredStateEntries(org)) ?? [];
    ok(!stored.some((x) => x.value === 'previous-visitor'), 'nor stored again');
  });
});
