/**
 * Client-state protocol (client-state-protocol.txt): `state:store` entries from Experience
 * responses are kept for `maxAge` seconds — or, without `maxAge`, for this page session only — and
 * every request carries the un-expired ones in `meta.state.entries`.
 *
 * They are durable storage, so they follow persistence consent: without it they live in memory only.
 * With it they are kept as cookies when cookie support is enabled and the page's domain matches the
 * configured one; otherwise in localStorage with an expiry filter on read. Both are read
 * synchronously, so the first request of a page carries them without waiting for anything.
 */
import { suspectJson } from '../core/text.js';
import { StateEntry } from '../core/wire.js';
import { readCookiesWithPrefix, removeCookie, writeCookie } from './cookies.js';
import type { KeyValueStore } from './storage.js';

interface Kept { key: string; value: string; expiresAt?: number; attrs?: Record<string, string> }

export interface StateEntriesOptions {
  clientId: string;
  cookies?: boolean;
  domain?: string;
  now?: () => number;
  doc?: Document;
  /** Where durable entries are kept outside cookie mode: the runtime's localStorage. */
  kv: KeyValueStore;
}

/** The localStorage key of an organization's durable entries. */
export const stateEntriesKey = (prefix: string) => `__ctfl_opt_state_entries__${prefix}`;

export class StateEntries {
  #entries = new Map<string, Kept>();
  #o: StateEntriesOptions;
  #persist = false;
  /** Persistence consent withdrawn (clearDurable) and not granted again (enablePersistence). */
  #withdrawn = false;
  /** Bumped by clear() and clearDurable(): a load() that started before must not bring entries back. */
  readonly prefix: string;
  readonly #kv: KeyValueStore;

  constructor(options: StateEntriesOptions) {
    this.#o = options;
    this.prefix = `kndctr_${options.clientId.replace(/[^A-Za-z0-9_-]/g, '_')}_`;
    this.#kv = options.kv;
  }

  get #now() { return (this.#o.now ?? Date.now)(); }

  /** Cookie mode only when enabled and this page's host is the configured domain or below it. */
  get cookieMode(): boolean {
    const { cookies, domain, doc } = this.#o;
    if (!cookies || !domain) return false;
    let host = '';
    try { host = (doc ?? document).location.hostname; } catch { return false; }
    const d = domain.replace(/^\./, '').toLowerCase();
    return host === d || host.endsWith(`.${d}`);
  }

  /** Loads durable entries (persistence consent granted) — unless it was withdrawn since. */
  load(): void {
    // consent() loads after enablePersistence(): a withdrawal in between must not be undone here.
    if (this.#withdrawn) return;
    this.#persist = true;
    const now = this.#now;
    // What is read back was written to storage other scripts can write too: a malformed entry is
    // ignored and removed.
    if (this.cookieMode) {
      for (const [key, value] of readCookiesWithPrefix(this.prefix, this.#o.doc)) {
        if (!StateEntry.safeParse({ key, value }).success) removeCookie(key, { domain: this.#o.domain }, this.#o.doc);
        else if (!this.#entries.has(key)) this.#entries.set(key, { key, value });
      }
      return;
    }
    const raw = this.#kv.get(this.#key);
    if (raw === null) return;
    let stored: unknown;
    try { stored = JSON.parse(raw); } catch { /* dropped below */ }
    let dropped = !Array.isArray(stored);
    for (const item of Array.isArray(stored) ? stored : []) {
      const parsed = StateEntry.safeParse(item);
      const expiresAt = (item as { expiresAt?: unknown })?.expiresAt;
      if (!parsed.success || typeof expiresAt !== 'number' || expiresAt <= now || !parsed.data.key.startsWith(this.prefix) || suspectJson(item, true)) {
        dropped = true;
        continue;
      }
      if (!this.#entries.has(parsed.data.key)) this.#entries.set(parsed.data.key, { key: parsed.data.key, value: parsed.data.value ?? '', expiresAt, attrs: parsed.data.attrs });
    }
    if (dropped) this.#saveDurable();
  }

  get #key() { return stateEntriesKey(this.prefix); }

  /** Un-expired entries for `meta.state.entries`. */
  list(): Array<{ key: string; value: string }> {
    const now = this.#now;
    const out: Array<{ key: string; value: string }> = [];
    for (const e of this.#entries.values()) {
      if (e.expiresAt !== undefined && e.expiresAt <= now) { this.#entries.delete(e.key); continue; }
      out.push({ key: e.key, value: e.value });
    }
    return out;
  }

  /** Takes the entries of a response. Keys outside this organization's prefix are ignored. */
  store(entries: readonly StateEntry[]): void {
    const now = this.#now;
    let durableChanged = false;
    for (const e of entries) {
      if (!e.key.startsWith(this.prefix)) continue;
      if (e.maxAge === 0) {
        this.#entries.delete(e.key);
        if (this.#persist && this.cookieMode) removeCookie(e.key, { domain: this.#o.domain }, this.#o.doc);
        durableChanged = true;
        continue;
      }
      const kept: Kept = { key: e.key, value: e.value ?? '', attrs: e.attrs };
      if (typeof e.maxAge === 'number') kept.expiresAt = now + e.maxAge * 1000;
      this.#entries.set(e.key, kept);
      if (kept.expiresAt === undefined) continue;
      durableChanged = true;
      if (this.#persist && this.cookieMode) {
        const sameSite = normalizeSameSite(e.attrs?.SameSite);
        writeCookie(e.key, kept.value, { domain: this.#o.domain, maxAgeSeconds: e.maxAge, sameSite }, this.#o.doc);
      }
    }
    if (durableChanged && this.#persist && !this.cookieMode) this.#saveDurable();
  }

  #saveDurable(): void {
    if (!this.#persist) return; // every durable write needs persistence consent
    const durable = [...this.#entries.values()].filter((e) => e.expiresAt !== undefined);
    if (durable.length) this.#kv.set(this.#key, JSON.stringify(durable));
    else this.#kv.remove(this.#key);
  }

  /** Persistence consent granted later: write what is held in memory. */
  enablePersistence(): void {
    this.#withdrawn = false;
    if (this.#persist) return;
    this.#persist = true;
    if (this.cookieMode) {
      for (const e of this.#entries.values()) {
        if (e.expiresAt === undefined) continue;
        writeCookie(e.key, e.value, { domain: this.#o.domain, maxAgeSeconds: (e.expiresAt - this.#now) / 1000, sameSite: normalizeSameSite(e.attrs?.SameSite) }, this.#o.doc);
      }
    } else {
      this.#saveDurable();
    }
  }

  /** Persistence consent withdrawn: remove durable copies, keep the in-memory session. */
  clearDurable(): void {
    this.#persist = false;
    this.#withdrawn = true;
    this.#removeDurable();
  }

  /** reset(): forget everything, keeping persistence consent as it is. */
  clear(): void {
    this.#entries.clear();
    this.#removeDurable();
  }

  #removeDurable(): void {
    for (const [name] of readCookiesWithPrefix(this.prefix, this.#o.doc)) removeCookie(name, { domain: this.#o.domain }, this.#o.doc);
    this.#kv.remove(this.#key);
  }
}

function normalizeSameSite(v: string | undefined): 'Lax' | 'Strict' | 'None' {
  const s = (v ?? '').toLowerCase();
  return s === 'none' ? 'None' : s === 'strict' ? 'Strict' : 'Lax';
}
