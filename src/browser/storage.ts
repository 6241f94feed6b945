/**
 * localStorage under the reference SDK's key names, so a site moving from it keeps its visitors.
 * Every read is validated; a malformed or wrong-shape value is removed, never used. Writes are best
 * effort: a full, blocked or missing storage never breaks in-memory state.
 */
import type { Check } from '../core/checks.js';
import { suspectJson } from '../core/text.js';
import { oneOf } from '../core/wire.js';

export const STORAGE_KEYS = Object.freeze({
  anonymousId: '__ctfl_opt_anonymous_id__',
  consent: '__ctfl_opt_consent__',
  persistenceConsent: '__ctfl_opt_persistence_consent__',
  profile: '__ctfl_opt_profile__',
  selectedOptimizations: '__ctfl_opt_selected-optimizations__',
  changes: '__ctfl_opt_changes__',
  debug: '__ctfl_opt_debug__',
});

export const LEGACY_STORAGE_KEYS = Object.freeze({
  anonymousId: '__nt_anonymous_id__',
  profile: '__nt_profile__',
  experiences: '__nt_experiences__',
  changes: '__nt_changes__',
  consent: '__nt-consent__',
});

/** `__ctfl_opt_debug__`: `true` turns on debug logging; any other value than `true`/`false` is removed. */
export const DebugFlag = oneOf('true', 'false');

/** Profile-continuity keys: load and write only with persistence consent. */
export const CONTINUITY_KEYS = [
  STORAGE_KEYS.anonymousId, STORAGE_KEYS.profile, STORAGE_KEYS.selectedOptimizations, STORAGE_KEYS.changes,
] as const;

/** Legacy profile-continuity keys: migrated with persistence consent, removed when it is false. */
export const LEGACY_CONTINUITY_KEYS = [
  LEGACY_STORAGE_KEYS.anonymousId, LEGACY_STORAGE_KEYS.profile, LEGACY_STORAGE_KEYS.experiences, LEGACY_STORAGE_KEYS.changes,
] as const;

/** localStorage can throw on access (disabled cookies, sandboxed iframes): resolve it once, safely. */
export function defaultStorage(): Storage | undefined {
  try {
    const s = globalThis.localStorage;
    return s ?? undefined;
  } catch {
    return undefined;
  }
}

export interface KeyValueStore {
  get(key: string): string | null;
  set(key: string, value: string): boolean;
  remove(key: string): void;
  /** Reads JSON and validates it; a value that fails is removed and `onInvalid` is told. */
  getValid<T>(key: string, schema: Pick<Check<T>, 'safeParse'>, onInvalid?: (key: string) => void, json?: boolean): T | undefined;
}

export function createKeyValueStore(storage: Storage | undefined = defaultStorage()): KeyValueStore {
  const kv: KeyValueStore = {
    get(key) {
      try { return storage?.getItem(key) ?? null; } catch { return null; }
    },
    set(key, value) {
      try { storage?.setItem(key, value); return !!storage; } catch { return false; }
    },
    remove(key) {
      try { storage?.removeItem(key); } catch { /* best effort */ }
    },
    getValid(key, schema, onInvalid, json = true) {
      const raw = kv.get(key);
      if (raw === null) return undefined;
      let value: unknown = raw;
      if (json) {
        // Over-deep nesting (which would overflow the stack when frozen or written back) and
        // `__proto__` keys (which the SDK never writes) mark a tampered value.
        try { value = JSON.parse(raw); if (suspectJson(value, true)) throw 0; } catch { value = Symbol.for('invalid'); }
      }
      const parsed = schema.safeParse(value);
      if (parsed.success) return parsed.data;
      kv.remove(key);
      onInvalid?.(key);
      return undefined;
    },
  };
  return kv;
}
