// Observable state (profile-synchronization.txt "Stateful SDKs write that response to in-memory
// signals as a single batch"): subscriptions, one snapshot per Experience response, frozen shared
// snapshots, requestState and online.
import { deepEqual, equal, ok } from '../helpers/assert.js';
import {
  clearBrowserState, createRuntime, destroyRuntimes, goOffline, goOnline, injectFault, requestsFor, responseBody, waitFor, watchPageErrors,
} from '../helpers/browser.js';
import type { OptimizationState } from '../../src/browser/optimization.js';

describe('observable state', () => {
  beforeEach(clearBrowserState);
  afterEach(() => { destroyRuntimes(); goOnline(); });

  it('subscribe calls at once with the current value and returns its unsubscribe', async () => {
    const sdk = createRuntime();
    const whole: OptimizationState[] = [];
    const profiles: unknown[] = [];
    const offWhole = sdk.subscribe((s) => whole.push(s));
    const offProfile = sdk.states.profile.subscribe((p) => profiles.push(p));
    equal(whole.length, 1, 'called at once');
    equal(whole[0], sdk.state);
    deepEqual(profiles, [undefined]);
    equal(typeof offWhole, 'function');
    offWhole();
    offProfile();
    await sdk.page();
    equal(whole.length, 1, 'no calls after unsubscribe');
    equal(profiles.length, 1);
  });

  it('one Experience response publishes profile, selected optimizations and changes as one snapshot', async () => {
    const sdk = createRuntime({ defaults: { consent: true } });
    const seenFromProfile: Array<[string | undefined, unknown, unknown]> = [];
    sdk.states.profile.subscribe((p) => seenFromProfile.push([p?.id, sdk.state.selectedOptimizations, sdk.state.changes]));
    let selectionNotifications = 0;
    sdk.states.selectedOptimizations.subscribe(() => selectionNotifications++);
    const snapshots: OptimizationState[] = [];
    sdk.subscribe((s) => snapshots.push(s));

    const first = await sdk.page({ properties: { path: '/' } });
    const second = await sdk.page({ properties: { path: '/pricing' } }); // joins the pricing audience: other selections

    deepEqual(seenFromProfile.map(([id]) => id), [undefined, first.data!.profile.id, second.data!.profile.id]);
    equal(seenFromProfile[1]![1], first.data!.selectedOptimizations, 'a profile subscriber reads the same response’s selections');
    equal(seenFromProfile[1]![2], first.data!.changes);
    equal(seenFromProfile[2]![1], second.data!.selectedOptimizations);
    equal(selectionNotifications, 3, 'initial + once per response');
    // Every published snapshot pairs a profile with the selections of the same response.
    const pairs = new Map([[undefined, undefined], [first.data!.profile, first.data!.selectedOptimizations], [second.data!.profile, second.data!.selectedOptimizations]] as const);
    for (const s of snapshots) equal(s.selectedOptimizations, pairs.get(s.profile as never), 'consistent snapshot');
    equal(snapshots.filter((s, i) => i > 0 && s.profile !== snapshots[i - 1]!.profile).length, 2, 'profile changed once per response');
  });

  it('snapshots are frozen and the same object for all subscribers', async () => {
    const sdk = createRuntime({ defaults: { consent: true } });
    const a: OptimizationState[] = [];
    const b: OptimizationState[] = [];
    sdk.subscribe((s) => a.push(s));
    sdk.subscribe((s) => b.push(s));
    await sdk.identify({ userId: 'ada', traits: { firstname: 'Ada', nested: { deep: true } } });
    equal(a.length, b.length);
    a.forEach((s, i) => equal(s, b[i], `snapshot ${i} shared`));
    for (const s of a) {
      ok(Object.isFrozen(s), 'snapshot frozen');
      ok(Object.isFrozen(s.requestState), `requestState ${s.requestState.status} frozen`);
      ok(Object.isFrozen(s.events) && Object.isFrozen(s.blockedEvents));
    }
    const last = a.at(-1)!;
    ok(Object.isFrozen(last.profile) && Object.isFrozen(last.profile!.traits) && Object.isFrozen(last.profile!.traits.nested));
    ok(Object.isFrozen(last.selectedOptimizations) && Object.isFrozen(last.changes));
    let threw = false;
    try { (last.profile!.traits as Record<string, unknown>).firstname = 'Mallory'; } catch { threw = true; }
    ok(threw, 'writing to a snapshot throws (module code is strict)');
    equal(sdk.getMergeTagValue('traits.firstname'), 'Ada');
  });

  it('requestState goes idle → pending → success', async () => {
    const sdk = createRuntime();
    const seen: string[] = [];
    sdk.states.requestState.subscribe((r) => seen.push(r.status));
    await sdk.page();
    deepEqual(seen, ['idle', 'pending', 'success']);
    ok((sdk.state.requestState as { at: string }).at);
  });

  it('requestState goes idle → pending → failed with the reason', async () => {
    const sdk = createRuntime();
    await injectFault({ organization: sdk.config.clientId, api: 'experience', status: 400 });
    const seen: Array<OptimizationState['requestState']> = [];
    sdk.states.requestState.subscribe((r) => seen.push(r));
    await sdk.page();
    deepEqual(seen.map((r) => r.status), ['idle', 'pending', 'failed']);
    const failed = seen[2] as Extract<OptimizationState['requestState'], { status: 'failed' }>;
    equal(failed.reason, 'api-error');
    equal(failed.code, 'ERR_INVALID_DATA');
    equal(failed.httpStatus, 400);
  });

  it('an Experience request in flight when consent(false) is called still updates in-memory state, and nothing durable', async () => {
    // The request left while consent was granted; consent(false) purges what is queued and keeps
    // in-memory state, so the answer is applied — but persistence is now false: nothing is stored.
    const sdk = createRuntime({ defaults: { consent: true } });
    await injectFault({ organization: sdk.config.clientId, api: 'experience', status: 200, delayMs: 300, body: responseBody('late-answer') });
    const result = sdk.page();
    await waitFor(() => sdk.state.requestState.status === 'pending', 2000, 'the request on its way'); // answered 300 ms later
    sdk.consent(false);
    const answered = await result;
    equal(answered.accepted, true, 'the caller gets the answer');
    equal(answered.data?.profile.id, 'late-answer');
    equal(sdk.state.requestState.status, 'success', 'nothing is pending any more');
    equal(sdk.state.profile?.id, 'late-answer', 'in-memory state follows the answer');
    equal(localStorage.getItem('__ctfl_opt_profile__'), null, 'nothing durable without persistence consent');
    equal(localStorage.getItem('__ctfl_opt_anonymous_id__'), null);
    ok(!document.cookie.includes('ctfl-opt-aid='), 'no cookie');
  });

  it('requestState does not stay pending when reset() discards an in-flight request', async () => {
    const sdk = createRuntime({ defaults: { consent: true } });
    await injectFault({ organization: sdk.config.clientId, api: 'experience', status: 200, delayMs: 300, body: responseBody('late-answer') });
    const result = sdk.page();
    await waitFor(() => sdk.state.requestState.status === 'pending', 2000, 'the request on its way'); // answered 300 ms later
    sdk.reset();
    equal((await result).accepted, false, 'the discarded caller is told');
    await waitFor(async () => (await requestsFor(sdk.config.clientId))[0]?.status === 200, 3000, 'the late answer');
    await sdk.flush(); // idle: the late answer has been handled
    equal(sdk.state.requestState.status, 'idle', 'nothing is pending any more');
    equal(sdk.state.profile, undefined, 'the late answer belongs to the identity reset() ended');
  });

  it('online follows the browser’s offline and online events', () => {
    const sdk = createRuntime();
    const seen: boolean[] = [];
    sdk.states.online.subscribe((o) => seen.push(o));
    goOffline();
    goOnline();
    deepEqual(seen, [true, false, true]);
  });

  it('a throwing subscriber neither breaks the runtime nor starves the other subscribers', async () => {
    const errors = watchPageErrors();
    const sdk = createRuntime();
    sdk.states.profile.subscribe((p) => { if (p) throw new Error('subscriber bug'); });
    const ids: unknown[] = [];
    sdk.states.profile.subscribe((p) => ids.push(p?.id));
    const { data } = await sdk.page();
    deepEqual(ids, [undefined, data!.profile.id]);
    await sdk.flush(); // idle: nothing more can throw
    deepEqual(errors.stop(), []);
  });

  it('states.events lists the events that left the consent gate', async () => {
    const sdk = createRuntime({ defaults: { consent: true } });
    await sdk.page();
    await sdk.trackClick({ componentId: 'c1' });
    deepEqual(sdk.state.events.map((e) => [e.api, e.type]), [['experience', 'page'], ['insights', 'component_click']]);
  });
});
