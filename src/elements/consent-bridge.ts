/**
 * `<ctfl-consent-bridge source="…">`: passes a consent management platform's (CMP) decision to the
 * runtime's `consent()`, without page code (consent-management.txt, cmp-apis.md).
 *
 * A CMP's categories or purposes map to the SDK's two choices: `events` (gated Experience and
 * Insights events may leave the page) and `persistence` (durable profile continuity: localStorage
 * and the `ctfl-opt-aid` cookie). A choice is granted only when every name listed for it is granted;
 * one denied name denies it. Only final decisions act (TCF `cmpuishown` or a Cookiebot without a
 * response change nothing); before the visitor chooses, a CMP's defaults may grant but never revoke.
 * A decision the runtime already holds makes no `consent()` call, so CMPs that report one change
 * several times (OneTrust: OptanonWrapper and OneTrustGroupsUpdated) cost nothing.
 *
 * The defaults follow one rule: events need the purposes of what the events do (build and use a
 * content-personalization profile, measure content), persistence needs storage on the device for
 * that profile. Advertising categories are never required or sufficient. See docs/consent-bridge.md.
 */
import { BaseElement, type PropertyValues } from './base.js';
import type { ConsentChoice } from '../core/consent.js';
import type { ContentfulOptimization } from '../browser/optimization.js';
import { listen } from '../browser/listen.js';
import { onRuntime } from '../browser/registry.js';
import { consoleLog, type MessageCode } from '../core/log.js';

type Tri = boolean | undefined;
// CMP globals and payloads are untyped third-party data: every read below is checked.
type Any = any;

/**
 * Per source: the noun of its mapping attributes (`events-<noun>`, `persistence-<noun>`), then the
 * default names for events and for persistence.
 * - tcf: 5/6 create/use a personalised-content profile, 8 measure content performance; persistence
 *   needs 1 (store/access information on a device) for that profile (5).
 * - onetrust: C0002 performance (measurement) + C0003 functional (personalisation); persistence C0003.
 * - cookiebot: statistics + preferences; persistence preferences.
 * - usercentrics: service names or `ucCategory` keys; the default `functional` category covers
 *   analytics in Usercentrics' default setup. Name your Contentful service instead where you have one.
 * - gcm: analytics_storage + personalization_storage; persistence personalization_storage.
 */
export const CONSENT_BRIDGE_DEFAULTS: Readonly<Record<string, readonly [string, string, string]>> = {
  tcf: ['purposes', '5,6,8', '1,5'],
  onetrust: ['groups', 'C0002,C0003', 'C0003'],
  cookiebot: ['categories', 'preferences,statistics', 'preferences'],
  usercentrics: ['services', 'functional', 'functional'],
  gcm: ['keys', 'analytics_storage,personalization_storage', 'personalization_storage'],
};
/** How long a CMP may take to show any sign of life before the bridge warns (E041). */
export const DEFAULT_CMP_TIMEOUT_MS = 10_000;

export interface ConsentChangeDetail {
  /** The `source` attribute of the bridge that decided. */
  readonly source: string;
  /** `undefined`: not decided yet. */
  readonly events: boolean | undefined;
  readonly persistence: boolean | undefined;
}

type ChoiceInput = boolean | 'granted' | 'denied' | undefined;

/** `true`/`"granted"` → true, `false`/`"denied"` → false, anything else → undefined (no decision). */
const parse = (v: unknown): Tri => (v === true || v === 'granted' ? true : v === false || v === 'denied' ? false : undefined);
const isObject = (v: unknown): v is Any => !!v && typeof v === 'object';

/**
 * Wires a consent management platform to the runtime's `consent()`.
 *
 * @customElement ctfl-consent-bridge
 * @summary Passes a CMP's consent decision (TCF, OneTrust, Cookiebot, Usercentrics, Google Consent Mode, a DOM event or a banner) to the SDK.
 * @fires {CustomEvent<ConsentChangeDetail>} ctfl-consent-change - The bridge's decision changed: `{source, events, persistence}` (bubbles).
 * @attr {string} source - `tcf`, `onetrust`, `cookiebot`, `usercentrics`, `gcm`, `event` or `manual`.
 * @attr {string} events-purposes - tcf: purposes all needed for events (default `5,6,8`).
 * @attr {string} persistence-purposes - tcf: purposes all needed for persistence (default `1,5`).
 * @attr {boolean} require-consent - tcf: map purposes even when `gdprApplies` is false (otherwise both are granted).
 * @attr {string} events-groups - onetrust: category ids all needed for events (default `C0002,C0003`).
 * @attr {string} persistence-groups - onetrust: category ids for persistence (default `C0003`).
 * @attr {string} events-categories - cookiebot: categories for events (default `preferences,statistics`).
 * @attr {string} persistence-categories - cookiebot: categories for persistence (default `preferences`).
 * @attr {string} events-services - usercentrics: service names or `ucCategory` keys for events (default `functional`).
 * @attr {string} persistence-services - usercentrics: service names or category keys for persistence (default `functional`).
 * @attr {string} events-keys - gcm: consent types for events (default `analytics_storage,personalization_storage`).
 * @attr {string} persistence-keys - gcm: consent types for persistence (default `personalization_storage`).
 * @attr {string} event-name - event: the DOM event to listen for (required); usercentrics: the configured window event (default `ucEvent`).
 * @attr {string} events - manual: `granted` or `denied` (reflects `grant()`, `deny()`, `set()`).
 * @attr {string} persistence - manual: `granted` or `denied`.
 * @attr {boolean} mirror-gcm - Also write each decision to Google Consent Mode: `gtag('consent', 'update', {analytics_storage, personalization_storage})`.
 * @attr {boolean} reset-on-revoke - When a granted choice is revoked, also call `reset()` (clears the in-memory profile).
 * @attr {number} timeout - ms before a CMP that never shows up is reported (default 10000).
 */
export class ConsentBridgeElement extends BaseElement {
  static override properties = {
    source: {},
    events: { reflect: true },
    persistence: { reflect: true },
  };

  /** Which CMP to read. */
  declare source: string | undefined;
  /** manual: `granted` | `denied`. */
  declare events: string | undefined;
  /** manual: `granted` | `denied`. */
  declare persistence: string | undefined;

  /** The bridge's latest decision; a field is `undefined` until decided. */
  decision: ConsentChoice = {};

  #sdk: ContentfulOptimization | undefined;
  #off: Array<() => void> = [];
  #running: string | undefined;
  #seen = false;


  override connectedCallback(): void {
    super.connectedCallback();
    this.#start();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#stop();
  }

  protected override updated(changed: PropertyValues): void {
    if (this.isConnected && this.#running !== this.source) { this.#stop(); this.#start(); }
    else if (this.source === 'manual' && (changed.has('events') || changed.has('persistence'))) this.#manual();
  }

  /** Grants events and persistence. */
  grant(): void { this.set({ events: true, persistence: true }); }

  /** Denies (revokes) events and persistence. */
  deny(): void { this.set({ events: false, persistence: false }); }

  /** Sets the choices given (`true`/`false` or `'granted'`/`'denied'`); others keep their value. */
  set(choice: { events?: ChoiceInput; persistence?: ChoiceInput }): void {
    const e = parse(choice?.events);
    const p = parse(choice?.persistence);
    if (e !== undefined) this.events = e ? 'granted' : 'denied';
    if (p !== undefined) this.persistence = p ? 'granted' : 'denied';
    this.#decide(e, p);
  }

  #stop(): void {
    for (const off of this.#off.splice(0)) off();
  }

  #start(): void {
    const src = (this.#running = this.source);
    const w = window as Any;
    const off = this.#off;
    const [noun, eventsDefault, persistenceDefault] = CONSENT_BRIDGE_DEFAULTS[src!] ?? [];
    let live = true;
    this.#seen = false;
    off.push(() => { live = false; }, onRuntime((sdk) => { this.#sdk = sdk; this.#apply(); }));

    const on = (target: EventTarget, type: string, fn: (event: Any) => void) => listen(off, target, type, fn);
    // A CMP that throws, or whose data breaks a read, leaves consent as it was.
    const safe = <A extends unknown[]>(fn: (...args: A) => unknown) => (...args: A) => {
      try { return fn(...args); } catch (error) { this.#report('E042', String(error)); }
    };
    const malformed = (what: string) => this.#report('E043', what);
    /** Both choices from a lookup: any denied name denies, all granted grants, an unknown name leaves it undecided. */
    const choices = (get: (name: string) => unknown): [Tri, Tri] => {
      const all = (kind: string, fallback: string): Tri => {
        // Comma-separated: Usercentrics service names contain spaces.
        const names = (this.getAttribute(`${kind}-${noun}`) ?? fallback).split(',').map((n) => n.trim()).filter(Boolean);
        let result: Tri = names.length > 0;
        for (const name of names) {
          const v = get(name);
          if (v === undefined) {
            if (src !== 'gcm') this.#report('E045', `${kind}-${noun}: "${name}"`);
            result = undefined;
          } else if (v !== true && v !== 'granted') return false;
        }
        return result;
      };
      return [all('events', eventsDefault!), all('persistence', persistenceDefault!)];
    };
    /**
     * Decides from a lookup. `implicit`: the visitor has not chosen yet (a CMP's defaults), so only
     * grants count; a default denial is "no decision yet", never a revocation.
     */
    const decideBy = (get: (name: string) => unknown, implicit?: unknown) => {
      const [e, p] = choices(get);
      this.#decide(implicit ? e || undefined : e, implicit ? p || undefined : p);
    };

    switch (src) {
      case 'tcf': {
        // IAB TCF v2.2: the listener is called at once with the current state, then on every change.
        let listenerId: unknown;
        let last: unknown;
        const remove = (id: unknown) => id !== undefined && safe(() => w.__tcfapi('removeEventListener', 2, () => {}, id))();
        const callback = safe((tcData: Any, success: boolean) => {
          if (!live) return remove(tcData?.listenerId);
          this.#seen = true;
          if (!success || !isObject(tcData)) return malformed('tcData');
          listenerId ??= tcData.listenerId;
          const status = tcData.eventStatus;
          if (status !== 'tcloaded' && status !== 'useractioncomplete') return; // cmpuishown: not final
          // tcloaded reports the stored choice at load: after the visitor's action it is stale.
          if (status === 'tcloaded' && last) return this.#report('E044', 'tcloaded after useractioncomplete');
          last = status;
          if (tcData.gdprApplies === false && !this.hasAttribute('require-consent')) return this.#decide(true, true);
          const consents = tcData.purpose?.consents;
          if (!isObject(consents)) return malformed('tcData.purpose');
          decideBy((n) => consents[n] === true);
        });
        // The CMP (or its stub) may define __tcfapi after this bundle ran: look now, then every 100 ms.
        const register = safe(() => {
          if (typeof w.__tcfapi !== 'function') return;
          clearInterval(poll);
          w.__tcfapi('addEventListener', 2, callback);
        });
        const poll = setInterval(register, 100);
        register();
        off.push(() => { clearInterval(poll); remove(listenerId); });
        break;
      }
      case 'onetrust': {
        const read = safe((groups?: unknown) => {
          this.#seen = true;
          const active = Array.isArray(groups) ? groups : w.OnetrustActiveGroups?.split?.(',');
          if (!active) return malformed('OnetrustActiveGroups');
          const ids = active.map((g: unknown) => String(g).trim());
          // A banner not yet closed shows the region's default groups, not the visitor's choice.
          decideBy((n) => ids.includes(n), w.OneTrust?.IsAlertBoxClosed?.() === false);
        });
        on(w, 'OneTrustGroupsUpdated', (e) => read(e.detail));
        // OneTrust calls window.OptanonWrapper on load and after each choice: wrap the site's own.
        const previous = w.OptanonWrapper;
        const wrapper = function (this: unknown) {
          try {
            if (typeof previous === 'function') return previous.apply(this, arguments);
          } finally {
            if (live) read();
          }
        };
        w.OptanonWrapper = wrapper;
        off.push(() => { if (w.OptanonWrapper === wrapper) w.OptanonWrapper = previous; });
        if (w.OnetrustActiveGroups) read();
        break;
      }
      case 'cookiebot': {
        const read = safe((e?: Event) => {
          const cookiebot = w.Cookiebot;
          if (!cookiebot) return;
          this.#seen = true;
          if (!(cookiebot.hasResponse || cookiebot.consented || cookiebot.declined)) {
            // Not final yet; an accept or decline without a response is out of order.
            return /Acc|Dec/.test(e?.type!) && this.#report('E044', `${e!.type} before a response`);
          }
          const consent = cookiebot.consent;
          if (!isObject(consent)) return malformed('Cookiebot.consent');
          decideBy((n) => consent[n], consent.method === 'implied');
        });
        for (const type of ['Load', 'ConsentReady', 'Accept', 'Decline']) on(w, 'CookiebotOn' + type, read);
        read();
        break;
      }
      case 'usercentrics': {
        const read = safe((d: Any) => {
          this.#seen = true;
          const granted: Any = {};
          if (d?.event === 'consent_status') {
            // v2: { ucCategory: {functional: true|false|null}, "<Service Name>": boolean, … }
            Object.assign(granted, d.ucCategory, d);
          } else if (isObject(d?.services)) {
            // v3 UC_CONSENT: services as an array or a map of {name, consent: {given}}; categories
            // (optional) as booleans or {state: 'ALL_ACCEPTED' | …}.
            Object.assign(granted, d.categories);
            for (const s of Object.values<Any>(d.services)) granted[s?.name] = s?.consent?.given;
          } else return malformed('Usercentrics detail');
          decideBy((n) => (granted[n]?.state ? granted[n].state === 'ALL_ACCEPTED' : granted[n]), /implicit/i.test(d.type ?? d.consent?.type));
        });
        // (When event-name is UC_CONSENT too, the second read is an unchanged decision: no call.)
        for (const type of [this.getAttribute('event-name') || 'ucEvent', 'UC_CONSENT']) on(w, type, (e) => read(e.detail));
        // Loaded before this bundle: Usercentrics also pushed its last consent_status to dataLayer.
        const pushed = w.dataLayer?.findLast?.((x: Any) => x?.event === 'consent_status');
        if (pushed) read(pushed);
        break;
      }
      case 'gcm': {
        // Google Consent Mode has no read API: observe ['consent', 'default'|'update', {…}] pushes
        // (gtag() pushes its `arguments` object), including those made before this bundle loaded.
        const state: Any = {};
        let updated = false;
        const take = (entries: Any[]) => {
          let any = false;
          for (const [, command, values] of entries.filter((x) => x?.[0] === 'consent')) {
            if (command !== 'default' && command !== 'update') continue;
            this.#seen = true;
            if (!isObject(values)) malformed(`consent ${command}`);
            // A regional default may not apply to this visitor: it cannot be read as their state.
            else if (command === 'update' || !values.region) {
              Object.assign(state, values);
              updated ||= command === 'update';
              any = true;
            }
          }
          // Until a first update, the state is the page's defaults.
          if (any) decideBy((k) => state[k], !updated);
        };
        const dataLayer: Any[] = (w.dataLayer ||= []);
        safe(take)(dataLayer);
        const push = dataLayer.push;
        const hooked = function (this: unknown, ...items: unknown[]) {
          const result = push.apply(this, items);
          if (live) safe(take)(items);
          return result;
        };
        dataLayer.push = hooked;
        off.push(() => { if (dataLayer.push === hooked) dataLayer.push = push; });
        break;
      }
      case 'event': {
        const name = this.getAttribute('event-name');
        if (!name) { this.#report('E046', 'event-name'); break; }
        const read = (e: Any) => {
          const events = parse(e.detail?.events);
          const persistence = parse(e.detail?.persistence);
          if (events === undefined && persistence === undefined) return malformed(`${name} detail`);
          this.#decide(events, persistence);
        };
        on(w, name, read);
        break;
      }
      case 'manual':
        this.#manual();
        break;
      default:
        this.#report('E040', `sources: ${Object.keys(CONSENT_BRIDGE_DEFAULTS).join('|')}|event|manual`, 'error');
    }

    if (noun) {
      const ms = Number(this.getAttribute('timeout')) || DEFAULT_CMP_TIMEOUT_MS;
      const timer = setTimeout(() => this.#seen || this.#report('E041', `${ms} ms`), ms);
      off.push(() => clearTimeout(timer));
    }
  }

  #manual(): void {
    const read = (name: 'events' | 'persistence'): Tri => {
      const v = this[name];
      const r = parse(v);
      if (r === undefined && v) this.#report('E046', `${name}="${v}"`);
      return r;
    };
    this.#decide(read('events'), read('persistence'));
  }

  /** A new decision: undefined fields keep the previous value. Fires `ctfl-consent-change` when it changed. */
  #decide(events: Tri, persistence: Tri): void {
    const prev = this.decision;
    const next = { events: events ?? prev.events, persistence: persistence ?? prev.persistence };
    this.decision = next;
    this.#apply();
    if (next.events === prev.events && next.persistence === prev.persistence) return;
    if (this.hasAttribute('mirror-gcm')) {
      const w = window as Any;
      // The standard gtag snippet: Consent Mode commands must be pushed as `arguments` objects.
      w.gtag ||= function () { (w.dataLayer ||= []).push(arguments); };
      const update: Any = {};
      if (next.events !== undefined) update.analytics_storage = next.events ? 'granted' : 'denied';
      if (next.persistence !== undefined) update.personalization_storage = next.persistence ? 'granted' : 'denied';
      w.gtag('consent', 'update', update);
    }
    this.dispatchEvent(new CustomEvent<ConsentChangeDetail>('ctfl-consent-change', {
      detail: { source: this.source!, ...next }, bubbles: true, composed: true,
    }));
  }

  /** Calls `consent()` with only the choices that differ from the runtime's; nothing when none do. */
  #apply(): void {
    const sdk = this.#sdk;
    if (!sdk) return;
    const { consent, persistenceConsent } = sdk.state;
    const { events, persistence } = this.decision;
    const patch: ConsentChoice = {};
    let revoked = false;
    if (events !== undefined && events !== consent) {
      patch.events = events;
      revoked = consent === true && !events;
    }
    if (persistence !== undefined && persistence !== persistenceConsent) {
      patch.persistence = persistence;
      revoked ||= persistenceConsent === true && !persistence;
    }
    const fields = Object.keys(patch).length;
    if (!fields) return;
    // Both changed the same way: consent(true) / consent(false); otherwise only what changed.
    sdk.consent(fields > 1 && patch.events === patch.persistence ? patch.events! : patch);
    if (revoked && this.hasAttribute('reset-on-revoke')) sdk.reset();
  }

  /**
   * Through the runtime's logger (the console's before there is one), the detail led by the bridge's
   * `source`: a warning once per code and detail, so a second missing name is reported too; E040
   * (no usable source: the bridge does nothing at all) as an error.
   */
  #report(code: MessageCode, detail: string, level?: 'error'): void {
    const log = this.#sdk?._log ?? consoleLog();
    const text = `source="${this.source ?? ''}": ${detail}`;
    if (level) log.error(code, text);
    else log.warnOnce(code, text);
  }
}

declare global {
  interface HTMLElementTagNameMap { 'ctfl-consent-bridge': ConsentBridgeElement }
  interface HTMLElementEventMap { 'ctfl-consent-change': CustomEvent<ConsentChangeDetail> }
}
