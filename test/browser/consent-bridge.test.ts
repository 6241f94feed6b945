// <ctfl-consent-bridge>: each source against its CMP test double (demo/cmp/), in real
// Chromium with a real runtime. The doubles are the only fakes.
import { deepEqual, equal, ok } from '../helpers/assert.js';
import { clearBrowserState, createRuntime, destroyRuntimes, fakeClock, restoreClocks, waitFor } from '../helpers/browser.js';
import {
  addBridge, changesOf, cleanUpCmps, loadCmp, recordConsentCalls, recordWarnings, settle, win, withCode,
} from '../helpers/consent-bridge.js';
import { detailsOf } from '../helpers/messages.js';

const both = (sdk: { state: { consent: unknown; persistenceConsent: unknown } }) => [sdk.state.consent, sdk.state.persistenceConsent];
const purposes = (...granted: number[]) => Object.fromEntries(Array.from({ length: 11 }, (_, i) => [String(i + 1), granted.includes(i + 1)]));

describe('<ctfl-consent-bridge>', () => {
  beforeEach(clearBrowserState);
  afterEach(() => { restoreClocks(); cleanUpCmps(); destroyRuntimes(); });

  describe('source="tcf"', () => {
    it('a stored choice (tcloaded) maps purposes: 5, 6, 8 for events and 1, 5 for persistence', async () => {
      await loadCmp('tcf', { consents: purposes(1, 5, 6, 8) });
      const sdk = createRuntime();
      const calls = recordConsentCalls(sdk);
      addBridge({ source: 'tcf' });
      await waitFor(() => sdk.state.consent === true, 2000, 'consent');
      deepEqual(both(sdk), [true, true]);
      deepEqual(calls, [true], 'one boolean call when both choices change the same way');
    });

    it('without purpose 1 only events are granted, and measurement alone grants nothing', async () => {
      await loadCmp('tcf');
      const sdk = createRuntime();
      const calls = recordConsentCalls(sdk);
      addBridge({ source: 'tcf' });
      win.tcfDouble.decide(purposes(5, 6, 8));
      deepEqual(both(sdk), [true, false]);
      deepEqual(calls, [{ events: true, persistence: false }]);
      win.tcfDouble.decide(purposes(1, 7, 8, 9));
      deepEqual(both(sdk), [false, false]);
    });

    it('cmpuishown changes nothing; useractioncomplete acts', async () => {
      await loadCmp('tcf');
      const sdk = createRuntime();
      const calls = recordConsentCalls(sdk);
      const el = addBridge({ source: 'tcf' });
      const changes = changesOf(el);
      await settle();
      equal(win.tcfDouble.state.eventStatus, 'cmpuishown');
      deepEqual(both(sdk), [undefined, undefined]);
      equal(calls.length, 0, 'no consent() call before a final decision');
      equal(changes.length, 0);
      win.tcfDouble.acceptAll();
      deepEqual(both(sdk), [true, true]);
      deepEqual(changes, [{ source: 'tcf', events: true, persistence: true }]);
    });

    it('mapping attributes override the default purposes', async () => {
      await loadCmp('tcf');
      const sdk = createRuntime();
      addBridge({ source: 'tcf', 'events-purposes': '1, 7,8,9', 'persistence-purposes': '1' });
      win.tcfDouble.decide(purposes(1, 7, 8, 9));
      deepEqual(both(sdk), [true, true]);
    });

    it('gdprApplies === false grants both, unless require-consent is set', async () => {
      await loadCmp('tcf', { gdprApplies: false, consents: {} });
      const sdk = createRuntime();
      addBridge({ source: 'tcf' });
      deepEqual(both(sdk), [true, true]);
      cleanUpCmps();
      destroyRuntimes();
      await loadCmp('tcf', { gdprApplies: false, consents: {}, noStorage: true });
      const strict = createRuntime();
      addBridge({ source: 'tcf', 'require-consent': true });
      deepEqual(both(strict), [false, false]);
    });

    it('a CMP that loads after the bundle: __tcfapi appears later, directly or behind the stub', async () => {
      const sdk = createRuntime();
      addBridge({ source: 'tcf' });
      await settle();
      equal(sdk.state.consent, undefined);
      await loadCmp('tcf', { consents: purposes(1, 5, 6, 8) });
      await waitFor(() => sdk.state.consent === true, 2000, 'consent after the CMP appeared');

      cleanUpCmps();
      destroyRuntimes();
      await clearBrowserState();
      const second = createRuntime();
      await loadCmp('tcf-stub');
      addBridge({ source: 'tcf' });
      await settle();
      equal(second.state.consent, undefined, 'the stub only queues');
      await loadCmp('tcf');
      win.tcfDouble.acceptAll();
      deepEqual(both(second), [true, true]);
    });

    it('removes its listener on disconnect, also one the stub had not answered yet', async () => {
      await loadCmp('tcf');
      const sdk = createRuntime();
      const el = addBridge({ source: 'tcf' });
      equal(win.tcfDouble.listenerCount(), 1);
      el.remove();
      equal(win.tcfDouble.listenerCount(), 0);
      win.tcfDouble.acceptAll();
      equal(sdk.state.consent, undefined, 'a removed bridge does nothing');

      cleanUpCmps();
      await loadCmp('tcf-stub');
      const early = addBridge({ source: 'tcf' });
      early.remove();
      await loadCmp('tcf');
      equal(win.tcfDouble.listenerCount(), 0, 'the late listener removed itself');
    });
  });

  describe('source="onetrust"', () => {
    for (const format of ['commas', 'bare']) {
      it(`reads OnetrustActiveGroups (${format === 'bare' ? '"C0001,C0002"' : '",C0001,C0002,"'}) as list members: C0002+C0003 for events, C0003 for persistence`, async () => {
        const sdk = createRuntime();
        addBridge({ source: 'onetrust' });
        await loadCmp('onetrust', { format });
        deepEqual(both(sdk), [undefined, undefined], 'banner open, only C0001 (opt-in region): no decision yet');
        win.oneTrustDouble.choose(['C0003']);
        deepEqual(both(sdk), [false, true]);
        win.oneTrustDouble.choose(['C0002', 'C0003']);
        deepEqual(both(sdk), [true, true]);
        win.oneTrustDouble.choose(['C0002', 'C0004']);
        deepEqual(both(sdk), [false, false], 'targeting is neither required nor sufficient');
      });
    }

    it('wraps the site\'s OptanonWrapper, which keeps running, and restores it on disconnect', async () => {
      let siteCalls = 0;
      const site = () => { siteCalls++; };
      win.OptanonWrapper = site;
      const sdk = createRuntime();
      const el = addBridge({ source: 'onetrust' });
      await loadCmp('onetrust');
      equal(siteCalls, 1);
      win.OneTrust.AllowAll();
      equal(siteCalls, 2);
      deepEqual(both(sdk), [true, true]);
      el.remove();
      equal(win.OptanonWrapper, site);
    });

    it('OneTrustGroupsUpdated alone suffices when the page replaces OptanonWrapper later', async () => {
      const sdk = createRuntime();
      const calls = recordConsentCalls(sdk);
      addBridge({ source: 'onetrust' });
      win.OptanonWrapper = () => {};
      await loadCmp('onetrust', { groups: ['C0001', 'C0002', 'C0003'] });
      deepEqual(both(sdk), [true, true]);
      win.OneTrust.AllowAll();
      deepEqual(calls, [true], 'the same decision reported again makes no call');
    });

    it('OneTrust loaded before the bundle: the current groups apply at once', async () => {
      await loadCmp('onetrust', { groups: ['C0001', 'C0002', 'C0003'] });
      const sdk = createRuntime();
      addBridge({ source: 'onetrust' });
      deepEqual(both(sdk), [true, true]);
    });
  });

  describe('source="cookiebot"', () => {
    it('acts only once the visitor responded: statistics+preferences for events, preferences for persistence', async () => {
      await loadCmp('cookiebot');
      const sdk = createRuntime();
      const calls = recordConsentCalls(sdk);
      addBridge({ source: 'cookiebot' });
      await settle();
      equal(calls.length, 0, 'no response yet: nothing');
      win.Cookiebot.submitCustomConsent(true, false, true);
      deepEqual(both(sdk), [false, true]);
      win.Cookiebot.submitCustomConsent(true, true, false);
      deepEqual(both(sdk), [true, true]);
      win.Cookiebot.withdraw();
      deepEqual(both(sdk), [false, false]);
    });

    it('reads window.Cookiebot when it loaded first, and its events when it loads later', async () => {
      await loadCmp('cookiebot', { consent: { preferences: true, statistics: true, marketing: false } });
      const sdk = createRuntime();
      addBridge({ source: 'cookiebot' });
      deepEqual(both(sdk), [true, true]);

      cleanUpCmps();
      destroyRuntimes();
      await clearBrowserState();
      const later = createRuntime();
      addBridge({ source: 'cookiebot' });
      await loadCmp('cookiebot', { consent: { preferences: true, statistics: false, marketing: true } });
      deepEqual(both(later), [false, true]);
    });
  });

  describe('source="usercentrics"', () => {
    it('v2 consent_status on the default ucEvent: the functional category by default', async () => {
      const sdk = createRuntime();
      addBridge({ source: 'usercentrics' });
      await loadCmp('usercentrics');
      deepEqual(both(sdk), [undefined, undefined], 'implicit initial state: a denial that is no decision yet');
      win.usercentricsDouble.update({ 'Contentful Personalization': true });
      deepEqual(both(sdk), [false, false], 'a partly accepted category (null) is not granted');
      win.usercentricsDouble.acceptAll();
      deepEqual(both(sdk), [true, true]);
    });

    it('v2 with a configured event name and service names', async () => {
      const sdk = createRuntime();
      addBridge({
        source: 'usercentrics', 'event-name': 'myConsentEvent',
        'events-services': 'Contentful Personalization, Google Analytics', 'persistence-services': 'Contentful Personalization',
      });
      await loadCmp('usercentrics', { eventName: 'myConsentEvent' });
      win.usercentricsDouble.update({ 'Contentful Personalization': true });
      deepEqual(both(sdk), [false, true]);
      win.usercentricsDouble.update({ 'Google Analytics': true });
      deepEqual(both(sdk), [true, true]);
    });

    for (const servicesAs of ['array', 'map']) {
      it(`v3 UC_CONSENT with services as ${servicesAs === 'map' ? 'a map' : 'an array'}`, async () => {
        const sdk = createRuntime();
        addBridge({ source: 'usercentrics', 'events-services': 'Contentful Personalization', 'persistence-services': 'Contentful Personalization' });
        await loadCmp('usercentrics', { version: 3, servicesAs });
        deepEqual(both(sdk), [undefined, undefined], 'implicit');
        win.usercentricsDouble.denyAll();
        deepEqual(both(sdk), [false, false]);
        win.usercentricsDouble.update({ 'Contentful Personalization': true });
        deepEqual(both(sdk), [true, true]);
      });
    }

    it('v3 categories, when sent, serve the default mapping', async () => {
      const sdk = createRuntime();
      addBridge({ source: 'usercentrics' });
      await loadCmp('usercentrics', { version: 3, v3Categories: true });
      win.usercentricsDouble.acceptAll();
      deepEqual(both(sdk), [true, true]);
    });

    it('Usercentrics loaded before the bundle: its consent_status in dataLayer applies', async () => {
      await loadCmp('usercentrics', { consent: { 'Contentful Personalization': true, 'Google Analytics': true } });
      const sdk = createRuntime();
      addBridge({ source: 'usercentrics' });
      deepEqual(both(sdk), [true, true]);
    });
  });

  describe('source="gcm"', () => {
    for (const form of ['arguments', 'array']) {
      it(`reads consent pushes made before the bundle loaded (${form} entries)`, async () => {
        await loadCmp('gcm', { form, stored: { analytics_storage: 'granted', personalization_storage: 'granted' } });
        const sdk = createRuntime();
        addBridge({ source: 'gcm' });
        deepEqual(both(sdk), [true, true]);
        win.gcmDouble.update({ personalization_storage: 'denied' });
        deepEqual(both(sdk), [false, false], 'events need both keys');
      });
    }

    it('a denied default is no decision; updates are merged with it', async () => {
      const sdk = createRuntime();
      const calls = recordConsentCalls(sdk);
      addBridge({ source: 'gcm' });
      await loadCmp('gcm');
      equal(calls.length, 0, 'default denied: no consent() call');
      win.gcmDouble.update({ personalization_storage: 'granted' });
      deepEqual(both(sdk), [false, true], 'analytics_storage is still denied by the default');
      win.gcmDouble.update({ analytics_storage: 'granted' });
      deepEqual(both(sdk), [true, true]);
    });

    it('a granted default counts; a regional default does not', async () => {
      const sdk = createRuntime();
      addBridge({ source: 'gcm' });
      win.dataLayer.push(['consent', 'default', { analytics_storage: 'granted', personalization_storage: 'granted', region: ['US-CA'] }]);
      equal(sdk.state.consent, undefined);
      win.dataLayer.push(['consent', 'default', { analytics_storage: 'granted', personalization_storage: 'granted' }]);
      deepEqual(both(sdk), [true, true]);
    });

    it('stops observing dataLayer on disconnect', async () => {
      const sdk = createRuntime();
      const el = addBridge({ source: 'gcm' });
      el.remove();
      win.dataLayer.push(['consent', 'update', { analytics_storage: 'granted', personalization_storage: 'granted' }]);
      equal(sdk.state.consent, undefined);
      equal(win.dataLayer.push, Array.prototype.push);
    });
  });

  describe('source="event"', () => {
    it('takes {events, persistence} from any DOM event, and stops on disconnect', async () => {
      const sdk = createRuntime();
      const el = addBridge({ source: 'event', 'event-name': 'site:consent' });
      window.dispatchEvent(new CustomEvent('site:consent', { detail: { events: true, persistence: false } }));
      deepEqual(both(sdk), [true, false]);
      document.body.dispatchEvent(new CustomEvent('site:consent', { bubbles: true, detail: { persistence: 'granted' } }));
      deepEqual(both(sdk), [true, true], 'a field left out keeps its value');
      deepEqual(el.decision, { events: true, persistence: true });
      el.remove();
      window.dispatchEvent(new CustomEvent('site:consent', { detail: { events: false, persistence: false } }));
      deepEqual(both(sdk), [true, true]);
    });
  });

  describe('source="manual"', () => {
    it('attributes, properties and grant()/deny()/set() decide; the attributes reflect the decision', async () => {
      const sdk = createRuntime();
      const calls = recordConsentCalls(sdk);
      const el = addBridge({ source: 'manual', events: 'granted', persistence: 'denied' });
      deepEqual(both(sdk), [true, false]);
      el.persistence = 'granted';
      await el.updateComplete;
      deepEqual(both(sdk), [true, true]);
      el.deny();
      deepEqual(both(sdk), [false, false]);
      await el.updateComplete;
      equal(el.getAttribute('events'), 'denied');
      el.set({ events: true });
      deepEqual(both(sdk), [true, false]);
      el.setAttribute('persistence', 'granted');
      await el.updateComplete;
      el.grant();
      deepEqual(calls, [{ events: true, persistence: false }, { persistence: true }, false, { events: true }, { persistence: true }]);
    });
  });

  describe('a CMP\'s defaults before the visitor chose', () => {
    it('grant what they grant (an opt-out region), and a default denial is no decision', async () => {
      const sdk = createRuntime();
      const calls = recordConsentCalls(sdk);
      addBridge({ source: 'onetrust' });
      await loadCmp('onetrust', { groups: ['C0001', 'C0002', 'C0003'], closed: false });
      deepEqual(both(sdk), [true, true]);
      cleanUpCmps();

      addBridge({ source: 'cookiebot' });
      await loadCmp('cookiebot', { consent: { preferences: false, statistics: false, marketing: false }, method: 'implied' });
      deepEqual(calls, [true], 'an implied denial does not revoke');
      win.Cookiebot.withdraw();
      deepEqual(calls, [true, false], 'an explicit one does');
    });
  });

  describe('behaviour shared by all sources', () => {
    it('fires ctfl-consent-change once per changed decision, and an unchanged decision makes no consent() call', async () => {
      await loadCmp('tcf');
      const sdk = createRuntime();
      const calls = recordConsentCalls(sdk);
      const el = addBridge({ source: 'tcf' });
      const changes = changesOf(el);
      let bubbled = 0;
      document.addEventListener('ctfl-consent-change', () => bubbled++);
      win.tcfDouble.acceptAll();
      win.tcfDouble.acceptAll();
      win.tcfDouble.showUI();
      win.tcfDouble.acceptAll();
      deepEqual(calls, [true]);
      deepEqual(changes, [{ source: 'tcf', events: true, persistence: true }]);
      equal(bubbled, 1, 'the event bubbles');
      deepEqual(el.decision, { events: true, persistence: true });
    });

    it('a decision the runtime already holds (restored from storage) makes no call', async () => {
      localStorage.setItem('__ctfl_opt_consent__', 'accepted');
      localStorage.setItem('__ctfl_opt_persistence_consent__', 'accepted');
      await loadCmp('cookiebot', { consent: { preferences: true, statistics: true, marketing: false } });
      const sdk = createRuntime();
      deepEqual(both(sdk), [true, true]);
      const calls = recordConsentCalls(sdk);
      const el = addBridge({ source: 'cookiebot' });
      const changes = changesOf(el);
      window.dispatchEvent(new Event('CookiebotOnAccept'));
      equal(calls.length, 0);
      equal(changes.length, 0, 'the decision was made at connect, before this listener');
      deepEqual(el.decision, { events: true, persistence: true });
    });

    it('a decision made before the runtime exists applies when it is created', async () => {
      destroyRuntimes();
      const el = addBridge({ source: 'manual', events: 'granted', persistence: 'denied' });
      const sdk = createRuntime();
      deepEqual(both(sdk), [true, false]);
      ok(el.decision.events);
    });

    it('mirror-gcm writes the decision to Consent Mode, through a gtag shim when the page has none', async () => {
      const sdk = createRuntime();
      const el = addBridge({ source: 'manual', 'mirror-gcm': true });
      el.set({ events: 'granted', persistence: 'denied' });
      equal(typeof win.gtag, 'function');
      const entry = win.dataLayer.at(-1);
      equal(Object.prototype.toString.call(entry), '[object Arguments]', 'gtag pushes arguments objects');
      deepEqual([...entry], ['consent', 'update', { analytics_storage: 'granted', personalization_storage: 'denied' }]);
      deepEqual(both(sdk), [true, false]);

      const seen: unknown[][] = [];
      win.gtag = (...args: unknown[]) => seen.push(args);
      el.grant();
      deepEqual(seen, [['consent', 'update', { analytics_storage: 'granted', personalization_storage: 'granted' }]]);
    });

    it('an unknown or missing source is an error naming the allowed values', async () => {
      const printed = recordWarnings();
      createRuntime({ logLevel: 'warn' });
      addBridge({ source: 'quantcast' });
      addBridge({});
      const errors = withCode(printed, 'E040');
      equal(errors.length, 2);
      ok(errors[0]!.includes('tcf|onetrust|cookiebot|usercentrics|gcm|event|manual'), errors[0]);
      ok(errors[0]!.includes('source="quantcast"'), errors[0]);
    });
  });

  describe('bad input leaves consent unchanged and warns once', () => {
    it('a CMP that never loads', async () => {
      const printed = recordWarnings();
      const sdk = createRuntime({ logLevel: 'warn' });
      await loadCmp('tcf-stub');
      const clock = fakeClock(['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval']);
      addBridge({ source: 'tcf', timeout: '150' });
      addBridge({ source: 'cookiebot', timeout: '150' });
      await clock.tickAsync(149);
      equal(withCode(printed, 'E041').length, 0, 'not before the timeout');
      await clock.tickAsync(1);
      equal(withCode(printed, 'E041').length, 2, printed.join('\n'));
      ok(withCode(printed, 'E041')[0]!.includes('source="tcf"'));
      deepEqual(both(sdk), [undefined, undefined]);
    });

    it('a CMP that shows up in time is not reported', async () => {
      const printed = recordWarnings();
      await loadCmp('cookiebot');
      createRuntime({ logLevel: 'warn' });
      const clock = fakeClock(['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval']);
      addBridge({ source: 'cookiebot', timeout: '100' });
      // Past the timeout on the bridge's clock: had the CMP gone unseen, E041 would be reported now.
      await clock.tickAsync(150);
      equal(withCode(printed, 'E041').length, 0);
    });

    it('a CMP that throws', async () => {
      const printed = recordWarnings();
      await loadCmp('tcf', { fault: 'throw' });
      const sdk = createRuntime({ logLevel: 'warn' });
      addBridge({ source: 'tcf' });
      await settle();
      equal(withCode(printed, 'E042').length, 1, printed.join('\n'));
      equal(sdk.state.consent, undefined);

      await loadCmp('cookiebot', { fault: 'throw', consent: { preferences: true, statistics: true, marketing: false } });
      const el = addBridge({ source: 'cookiebot' });
      win.Cookiebot.submitCustomConsent(true, true, true);
      equal(sdk.state.consent, undefined);
      equal(withCode(printed, 'E042').filter((m) => m.includes('cookiebot')).length, 1);
      ok(el.isConnected);
    });

    it('malformed data', async () => {
      const printed = recordWarnings();
      await loadCmp('tcf', { consents: purposes(1, 5, 6, 8) });
      const sdk = createRuntime({ logLevel: 'warn' });
      addBridge({ source: 'tcf' });
      deepEqual(both(sdk), [true, true]);
      win.tcfDouble.send({ eventStatus: 'useractioncomplete', gdprApplies: true, purpose: { consents: 'all' } });
      win.tcfDouble.send({ eventStatus: 'useractioncomplete', gdprApplies: true });
      win.tcfDouble.send(null, false);
      deepEqual(both(sdk), [true, true]);
      // Once per code and detail: two reads of an unreadable purpose map, then an unreadable tcData.
      deepEqual(detailsOf(printed, 'E043'), ['source="tcf": tcData.purpose', 'source="tcf": tcData'], printed.join('\n'));

      addBridge({ source: 'onetrust' });
      await loadCmp('onetrust', { fault: 'malformed' });
      addBridge({ source: 'gcm' });
      win.dataLayer.push(['consent', 'update', 'granted']);
      addBridge({ source: 'event', 'event-name': 'site:consent' });
      window.dispatchEvent(new CustomEvent('site:consent', { detail: { events: 'yes' } }));
      deepEqual(both(sdk), [true, true]);
      deepEqual(detailsOf(printed, 'E043').slice(2), [
        'source="onetrust": OnetrustActiveGroups', 'source="gcm": consent update', 'source="event": site:consent detail',
      ], printed.join('\n'));
    });

    it('events out of order', async () => {
      const printed = recordWarnings();
      await loadCmp('tcf');
      const sdk = createRuntime({ logLevel: 'warn' });
      addBridge({ source: 'tcf' });
      win.tcfDouble.acceptAll();
      win.tcfDouble.send({ ...win.tcfDouble.state, eventStatus: 'tcloaded', purpose: { consents: purposes() } });
      deepEqual(both(sdk), [true, true]);
      equal(withCode(printed, 'E044').length, 1);

      await loadCmp('cookiebot');
      addBridge({ source: 'cookiebot' });
      win.cookiebotDouble.fire('CookiebotOnDecline');
      deepEqual(both(sdk), [true, true]);
      equal(withCode(printed, 'E044').length, 2);
    });

    it('names the CMP does not report, and values that are not granted or denied', async () => {
      const printed = recordWarnings();
      const sdk = createRuntime({ logLevel: 'warn' });
      addBridge({ source: 'usercentrics', 'events-services': 'Contentful Personalisation' });
      await loadCmp('usercentrics', { consent: { 'Contentful Personalization': true, 'Google Analytics': true } });
      equal(sdk.state.consent, undefined, 'a misspelt service decides nothing');
      equal(sdk.state.persistenceConsent, true, 'the other choice still applies');
      ok(withCode(printed, 'E045')[0]?.includes('events-services'), printed.join('\n'));
      deepEqual(detailsOf(printed, 'E045'), ['source="usercentrics": events-services: "Contentful Personalisation"']);

      addBridge({ source: 'manual', events: 'yes' });
      addBridge({ source: 'event' });
      equal(sdk.state.consent, undefined);
      equal(withCode(printed, 'E046').length, 2, printed.join('\n'));
    });

    it('each missing name is reported once, and a second one is not hidden by the first', async () => {
      const printed = recordWarnings();
      const sdk = createRuntime({ logLevel: 'warn' });
      addBridge({ source: 'usercentrics', 'events-services': 'Contentful Personalisation,Google Analytix,Contentful Personalization' });
      await loadCmp('usercentrics', { consent: { 'Contentful Personalization': true, 'Google Analytics': true } });
      win.usercentricsDouble.update({ 'Google Analytics': false }); // read again: nothing new to report
      equal(sdk.state.consent, undefined, 'misspelt services decide nothing');
      deepEqual(detailsOf(printed, 'E045'), [
        'source="usercentrics": events-services: "Contentful Personalisation"', 'source="usercentrics": events-services: "Google Analytix"',
      ], printed.join('\n'));
    });
  });
});
