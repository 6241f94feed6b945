// Issue 6: tabs stay in step without BroadcastChannel (the storage-event fallback), and messages from
// other tabs are validated like any other outside input. The other tab is a same-origin iframe: its
// localStorage writes fire real `storage` events in this page, as another tab's would.
import { deepEqual, equal, ok } from '../helpers/assert.js';
import { clearBrowserState, createRuntime, destroyRuntimes, uniqueOrg, waitFor } from '../helpers/browser.js';

function otherTab(): Promise<{ win: Window; remove: () => void }> {
  const frame = document.createElement('iframe');
  frame.src = '/test/fixtures/delivery/index.html';
  document.body.append(frame);
  return new Promise((resolve) => frame.addEventListener('load', () => resolve({ win: frame.contentWindow!, remove: () => frame.remove() }), { once: true }));
}

function trapErrors() {
  const errors: unknown[] = [];
  const onError = (e: ErrorEvent) => errors.push(e.error ?? e.message);
  const onRejection = (e: PromiseRejectionEvent) => errors.push(e.reason);
  window.addEventListener('error', onError);
  window.addEventListener('unhandledrejection', onRejection);
  return { errors, stop: () => { window.removeEventListener('error', onError); window.removeEventListener('unhandledrejection', onRejection); } };
}

describe('delivery: tabs in step', () => {
  const saved = globalThis.BroadcastChannel;
  beforeEach(clearBrowserState);
  afterEach(() => {
    destroyRuntimes();
    (globalThis as { BroadcastChannel?: unknown }).BroadcastChannel = saved;
  });

  it('without BroadcastChannel, consent(false) in one tab reaches the other through a storage event, and back', async () => {
    // Browsers without BroadcastChannel: removed for this runtime only (say why: Chromium always has it).
    delete (globalThis as { BroadcastChannel?: unknown }).BroadcastChannel;
    const org = uniqueOrg('tab-ls');
    const here = createRuntime({ clientId: org, defaults: { consent: true } });
    const tab = await otherTab();
    try {
      // The other tab revokes: it writes the message key, which fires `storage` here.
      tab.win.localStorage.setItem(`ctfl-opt:${org}`, JSON.stringify({ c: false, n: 'nonce-1' }));
      await waitFor(() => here.state.consent === false, 2000, 'consent(false) from the other tab');
      equal(here.state.persistenceConsent, false);
      // This tab grants: the other tab sees the storage event with the message.
      const seen: string[] = [];
      tab.win.addEventListener('storage', (e) => { if (e.key === `ctfl-opt:${org}` && e.newValue) seen.push(e.newValue); });
      here.consent(true);
      await waitFor(() => seen.length > 0, 2000, 'the message in the other tab');
      deepEqual(JSON.parse(seen[0]!).c, { events: true, persistence: true });
    } finally {
      tab.remove();
    }
  });

  it('malformed messages from another tab change nothing and throw nothing into the page', async () => {
    const org = uniqueOrg('tab-bad');
    const here = createRuntime({ clientId: org, defaults: { consent: true } });
    const { data } = await here.page();
    ok(data?.profile.id);
    const trap = trapErrors();
    try {
      const junks = [null, 'x', 42, { d: { profile: '<img src=x>' } }, { d: { profile: { id: 'a; path=/x' }, selectedOptimizations: 1, changes: [] } }, { c: 'yes' }, { r: 'please' }];
      const channel = new BroadcastChannel(`ctfl-opt:${org}`);
      // Made after the runtime's channel, this one gets each message after it (channels are
      // served in the order they were made): once it has the last, the runtime has had them all.
      const probe = new BroadcastChannel(`ctfl-opt:${org}`);
      const heard = new Promise<void>((resolve) => { let n = 0; probe.onmessage = () => { if (++n === junks.length) resolve(); }; });
      for (const junk of junks) channel.postMessage(junk);
      channel.close();
      await heard;
      probe.close();
      // And a storage event that is not JSON (the fallback listener), then one of the test's own:
      // storage events arrive in order, so by the second the first has been handled.
      const tab = await otherTab();
      const probed = new Promise<void>((resolve) => {
        const onStorage = (e: StorageEvent) => { if (e.key === 'ctfl-test-probe') { window.removeEventListener('storage', onStorage); resolve(); } };
        window.addEventListener('storage', onStorage);
      });
      tab.win.localStorage.setItem(`ctfl-opt:${org}`, '{not json');
      tab.win.localStorage.setItem('ctfl-test-probe', '1');
      await probed;
      tab.remove();
      equal(here.state.profile?.id, data!.profile.id, 'profile unchanged');
      equal(here.state.consent, true, 'consent unchanged');
      deepEqual(trap.errors, []);
    } finally {
      trap.stop();
    }
  });
});
