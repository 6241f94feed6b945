/**
 * Web Locks that never hold the runtime up: a lock not granted in time, or not available at all,
 * is done without.
 */

/** How long a runtime waits for a Web Lock before it goes on without it. */
export const LOCK_WAIT_MS = 5000;

type LockOptions = { signal?: AbortSignal };
export type Locks = {
  request(name: string, options: LockOptions, fn: () => Promise<unknown> | unknown): Promise<unknown>;
  query(): Promise<{ held?: Array<{ name?: string }> }>;
};
/** Web Locks, when this browser (and this document) has them. */
export const locks = (): Locks | undefined => {
  try { return (globalThis.navigator as unknown as { locks?: Locks })?.locks; } catch { return undefined; }
};

/**
 * Runs `fn` holding the Web Lock `name`. A lock that is not granted within `waitMs` (held by a page
 * in the back/forward cache, or a browser that never answers) or cannot be had at all (a document
 * that is no longer active) runs `fallback` instead — by default `fn` itself, without the lock.
 * Without Web Locks `fn` runs at once. What `fn` throws is thrown.
 */
export async function withLock<T>(name: string, fn: () => Promise<T>, fallback: () => Promise<T> = fn, waitMs = LOCK_WAIT_MS): Promise<T> {
  const l = locks();
  if (!l) return fn();
  let granted = false;
  const ctl = typeof AbortController === 'function' ? new AbortController() : undefined;
  const timer = ctl ? setTimeout(() => ctl.abort(), waitMs) : undefined;
  let result: T;
  try {
    result = await l.request(name, ctl ? { signal: ctl.signal } : {}, () => { granted = true; clearTimeout(timer); return fn(); }) as T;
  } catch (error) {
    clearTimeout(timer);
    if (granted) throw error;
    return fallback();
  }
  return result;
}
