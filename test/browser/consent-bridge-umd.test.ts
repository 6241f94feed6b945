// <ctfl-consent-bridge> with the shipped script-tag bundle (dist/optimization.umd.js, production
// build; run the build first): the bundle loads the bridge's chunk (dist/optimization.consent-bridge.js)
// because the page has the element, and a CMP that decided before the bundle loaded is honoured
// before the bundle's automatic page() event. This file imports no element source, so the bundle
// and its chunk define them.
import { deepEqual, equal, ok } from '../helpers/assert.js';
import { clearBrowserState, EMULATOR, experienceEventsFor, readCookieValue, uniqueOrg, waitFor } from '../helpers/browser.js';
import { ERRORS } from '../helpers/messages.js';

const win = window as any;
const org = uniqueOrg('umd');

function load(src: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = document.createElement('script');
    s.src = src;
    s.onload = () => resolve();
    s.onerror = () => reject(new Error(`could not load ${src}`));
    document.head.append(s);
  });
}

describe('<ctfl-consent-bridge> in dist/optimization.umd.js', () => {
  const printed: string[] = [];

  before(async () => {
    await clearBrowserState();
    // The page: a CMP speaking Consent Mode with a stored "granted" choice, and the bridge markup,
    // both before the bundle.
    win.gcmDoubleConfig = { stored: { analytics_storage: 'granted', personalization_storage: 'granted' } };
    await load('/demo/cmp/gcm.js');
    const bridge = document.createElement('ctfl-consent-bridge');
    bridge.setAttribute('source', 'gcm');
    document.body.append(bridge);
    win.ctflOptimizationConfig = { clientId: org, api: { experienceBaseUrl: EMULATOR, insightsBaseUrl: EMULATOR } };
    const error = console.error;
    console.error = (...args: unknown[]) => { printed.push(args.map(String).join(' ')); };
    try {
      await load('/dist/optimization.umd.js');
      await customElements.whenDefined('ctfl-consent-bridge');
      const bad = document.createElement('ctfl-consent-bridge');
      bad.setAttribute('source', 'didomi');
      document.body.append(bad);
      await waitFor(() => printed.some((m) => m.includes('ctfl-opt/E040:')), 2000, 'the unknown source reported');
    } finally {
      console.error = error;
    }
  });

  it('the bundle loads the chunk and applies the earlier decision before its first page() event', async () => {
    ok(customElements.get('ctfl-consent-bridge'), 'defined by the chunk');
    const chunk = [...document.scripts].filter((s) => s.src.endsWith('/dist/optimization.consent-bridge.js'));
    equal(chunk.length, 1, 'the chunk is loaded once, from next to the bundle');
    deepEqual([win.optimization.state.consent, win.optimization.state.persistenceConsent], [true, true]);
    const events = await waitFor(async () => { const e = await experienceEventsFor(org); return e.length ? e : undefined; }, 4000, 'page event');
    equal(events[0].type, 'page');
    equal(events[0].context.gdpr.isConsentGiven, true, 'the automatic page() already had consent');
    await waitFor(() => readCookieValue('ctfl-opt-aid'), 2000, 'anonymous id cookie');
  });

  it('a later Consent Mode update revokes: consent(false), cookie cleared', async () => {
    win.gcmDouble.denyAll();
    deepEqual([win.optimization.state.consent, win.optimization.state.persistenceConsent], [false, false]);
    equal(readCookieValue('ctfl-opt-aid'), undefined);
  });

  it('the production bundle still names the allowed sources for an unknown one', () => {
    const e040 = printed.filter((m) => m.includes('ctfl-opt/E040:'));
    equal(e040.length, 1, printed.join('\n'));
    ok(e040[0]!.includes('tcf|onetrust|cookiebot|usercentrics|gcm|event|manual'), e040[0]);
    // The code and the detail only: the table of codes (src/core/errors.ts) is not in the bundle.
    equal(e040[0], 'ctfl-opt/E040: source="didomi": sources: tcf|onetrust|cookiebot|usercentrics|gcm|event|manual');
    ok(!e040[0]!.includes(ERRORS.E040.meaning), 'no meaning from the table');
  });
});
