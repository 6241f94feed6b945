/**
 * Identity and durable continuity (profile-synchronization.txt, steps 1, 3, 5 and 6): stored
 * consent, the anonymous id, the `ctfl-opt-aid` cookie and the localStorage copies of profile,
 * selected optimizations and changes. Durable copies exist only under persistence consent; the
 * runtime (optimization.ts) decides when, this module knows how.
 */
import type { ConsentValue } from '../core/consent.js';
import type { Check } from '../core/checks.js';
import type { Logger } from '../core/log.js';
import { deepFreeze } from '../core/store.js';
import { Changes, Profile, ProfileId, SelectedOptimizations } from '../core/wire.js';
import type { ResolvedConfig } from './config.js';
import { ANONYMOUS_ID_COOKIE, LEGACY_ANONYMOUS_ID_COOKIE, readCookie, removeCookie, writeCookie } from './cookies.js';
import { CONTINUITY_KEYS, LEGACY_CONTINUITY_KEYS, LEGACY_STORAGE_KEYS, STORAGE_KEYS, type KeyValueStore } from './storage.js';
import type { OptimizationState } from './types.js';

type Durable = Pick<OptimizationState, 'profile' | 'selectedOptimizations' | 'changes'>;

export class Continuity {
  /** The durable anonymous id (localStorage, the cookie): used with persistence consent only. */
  _id: string | undefined;
  /** What was mirrored last, so a change writes only the fields that changed. */
  #last: Partial<Durable> = {};
  readonly #config: ResolvedConfig;
  readonly #kv: KeyValueStore;
  readonly #doc: Document;
  readonly #log: Logger;

  constructor(config: ResolvedConfig, kv: KeyValueStore, doc: Document, log: Logger) {
    this.#config = config;
    this.#kv = kv;
    this.#doc = doc;
    this.#log = log;
  }

  #invalid = __DEV__ ? (key: string) => this.#log.debug(`removed invalid stored value ${key}`) : undefined;

  /** Stored event and persistence consent; the legacy SDK's one accepted consent maps to both. */
  _storedConsent(): { consent: ConsentValue; persistence: ConsentValue } {
    const kv = this.#kv;
    const read = (key: string): ConsentValue => {
      const v = kv.get(key);
      if (v === 'accepted') return true;
      if (v === 'denied') return false;
      if (v !== null) kv.remove(key);
      return undefined;
    };
    let consent = read(STORAGE_KEYS.consent);
    let persistence = read(STORAGE_KEYS.persistenceConsent);
    const legacy = kv.get(LEGACY_STORAGE_KEYS.consent);
    if (legacy !== null) {
      if (consent === undefined && legacy === 'accepted') {
        consent = true;
        kv.set(STORAGE_KEYS.consent, 'accepted');
        if (persistence === undefined) {
          persistence = true;
          kv.set(STORAGE_KEYS.persistenceConsent, 'accepted');
        }
      }
      kv.remove(LEGACY_STORAGE_KEYS.consent);
    }
    return { consent, persistence };
  }

  /** Step 3, with persistence consent: the legacy SDK's copies move over, then the durable ones are read. */
  _load() {
    const kv = this.#kv;
    const moves: Array<[string, string, Pick<Check<unknown>, 'safeParse'>, boolean]> = [
      [LEGACY_STORAGE_KEYS.anonymousId, STORAGE_KEYS.anonymousId, ProfileId, false],
      [LEGACY_STORAGE_KEYS.profile, STORAGE_KEYS.profile, Profile, true],
      [LEGACY_STORAGE_KEYS.experiences, STORAGE_KEYS.selectedOptimizations, SelectedOptimizations, true],
      [LEGACY_STORAGE_KEYS.changes, STORAGE_KEYS.changes, Changes, true],
    ];
    for (const [from, to, schema, json] of moves) {
      if (kv.get(from) === null) continue;
      const v = kv.getValid(from, schema, this.#invalid, json);
      if (v !== undefined && kv.get(to) === null) kv.set(to, json ? JSON.stringify(v) : String(v));
      kv.remove(from);
    }
    this._id = this._storedId();
    const json = <T>(key: string, schema: Pick<Check<T>, 'safeParse'>): T | undefined => {
      const v = kv.getValid(key, schema, this.#invalid);
      return v === undefined ? undefined : deepFreeze(v as T);
    };
    return {
      profile: json(STORAGE_KEYS.profile, Profile),
      selectedOptimizations: json(STORAGE_KEYS.selectedOptimizations, SelectedOptimizations),
      changes: json(STORAGE_KEYS.changes, Changes),
    };
  }

  /** The anonymous id in localStorage, when valid (an invalid one is removed). */
  _storedId(): string | undefined {
    return this.#kv.getValid(STORAGE_KEYS.anonymousId, ProfileId, this.#invalid, false);
  }

  /**
   * Steps 5 and 6: read `ctfl-opt-aid` (migrating the legacy `ntaid`); when it differs from the
   * stored anonymous id, adopt it. True when it also names another profile than the `active` one:
   * cached continuity is cleared, and the caller drops the active profile and what came with it.
   */
  _adoptCookie(active: Profile | undefined): boolean {
    let cookie = readCookie(ANONYMOUS_ID_COOKIE, this.#doc);
    const legacy = readCookie(LEGACY_ANONYMOUS_ID_COOKIE, this.#doc);
    if (legacy !== undefined) {
      this.#removeCookie(LEGACY_ANONYMOUS_ID_COOKIE);
      if (cookie === undefined && ProfileId.safeParse(legacy).success) {
        cookie = legacy;
        this.#writeIdCookie(legacy);
      }
    }
    if (cookie === undefined) return false;
    if (!ProfileId.safeParse(cookie).success) {
      if (__DEV__) this.#log.debug(`ignored a ${ANONYMOUS_ID_COOKIE} cookie that is not a valid profile id, and removed it`);
      this.#removeCookie(ANONYMOUS_ID_COOKIE);
      return false;
    }
    if (cookie === this._id) return false;
    const reset = !!active && active.id !== cookie;
    if (reset) {
      if (__DEV__) this.#log.debug(`${ANONYMOUS_ID_COOKIE} names another profile than the cached one: resetting and adopting it`);
      this._clear(false);
    }
    this._id = cookie;
    this.#kv.set(STORAGE_KEYS.anonymousId, cookie);
    return reset;
  }

  // config.cookie is { domain, maxAgeSeconds }: the id cookie's attributes (cookie.expires, in days, converted).
  #writeIdCookie(id: string): void {
    writeCookie(ANONYMOUS_ID_COOKIE, id, this.#config.cookie, this.#doc);
  }

  #removeCookie(name: string): void {
    removeCookie(name, this.#config.cookie, this.#doc);
  }

  /** Removes the durable copies (legacy ones too) and, unless told otherwise, the id and its cookie. */
  _clear(removeIdCookie = true): void {
    // Legacy copies too: a later load with persistence consent would otherwise migrate them back.
    for (const key of [...CONTINUITY_KEYS, ...LEGACY_CONTINUITY_KEYS]) this.#kv.remove(key);
    if (removeIdCookie) {
      this.#removeCookie(ANONYMOUS_ID_COOKIE);
      this.#removeCookie(LEGACY_ANONYMOUS_ID_COOKIE);
      this._id = undefined;
    }
  }

  /**
   * Mirrors continuity state to localStorage and the cookie when persistence consent is true (`all`:
   * every field, not only those that changed). Never in preflight mode: the API did not store that
   * profile, so its id is no continuity handle.
   */
  _persist(s: OptimizationState, all?: boolean): void {
    if (s.persistenceConsent !== true || this.#config.preflight) { this.#last = {}; return; }
    const kv = this.#kv;
    const last = all ? {} : this.#last;
    if (s.profile !== last.profile) {
      if (s.profile) {
        kv.set(STORAGE_KEYS.profile, JSON.stringify(s.profile));
        if (s.profile.id !== this._id || readCookie(ANONYMOUS_ID_COOKIE, this.#doc) !== s.profile.id) {
          this._id = s.profile.id;
          kv.set(STORAGE_KEYS.anonymousId, s.profile.id);
          this.#writeIdCookie(s.profile.id);
        }
      } else {
        // Profile cleared: drop cached data; keep an existing anonymous id and cookie for continuity.
        kv.remove(STORAGE_KEYS.profile);
        if (!this._id) this.#removeCookie(ANONYMOUS_ID_COOKIE);
      }
    }
    for (const key of ['selectedOptimizations', 'changes'] as const) {
      if (s[key] === last[key]) continue;
      if (s[key]) kv.set(STORAGE_KEYS[key], JSON.stringify(s[key]));
      else kv.remove(STORAGE_KEYS[key]);
    }
    this.#last = { profile: s.profile, selectedOptimizations: s.selectedOptimizations, changes: s.changes };
  }

  /** getAnonymousId() → the durable anonymous id (persistence consent) → the in-memory profile id → none. */
  _profileId(s: OptimizationState): string | undefined {
    const { getAnonymousId } = this.#config;
    let id: string | undefined;
    if (getAnonymousId) {
      try { id = getAnonymousId(); } catch (error) { this.#log.warnOnce('E012', '', error); }
      if (id !== undefined && !ProfileId.safeParse(id).success) {
        this.#log.warnOnce('E013');
        id = undefined;
      }
    } else if (s.persistenceConsent === true) {
      id = this._id;
    }
    return id ?? s.profile?.id;
  }
}
