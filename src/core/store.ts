/**
 * Observable state with frozen snapshots.
 *
 * One `set()` publishes one new snapshot object; every subscriber receives that same frozen object
 * (no copy per subscriber), so a subscriber can never see half of one update and half of another.
 * `select(key)` gives an observable of one field that only notifies when that field changes.
 */
export type Unsubscribe = () => void;
export interface Observable<T> {
  readonly value: T;
  /** Calls `fn` at once with the current value, then on every change. Returns its unsubscribe. */
  subscribe(fn: (value: T) => void): Unsubscribe;
}

export interface Store<S extends object> extends Observable<Readonly<S>> {
  set(patch: Partial<S>): void;
  select<K extends keyof S>(key: K): Observable<S[K]>;
}

export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

export function createStore<S extends object>(initial: S, onError: (error: unknown) => void = () => {}): Store<S> {
  // Deeply frozen: a subscriber that mutates a nested value (say requestState) would otherwise
  // change what every other subscriber sees. Already-frozen values (API responses) are skipped.
  let state: Readonly<S> = deepFreeze({ ...initial });
  const listeners = new Set<(s: Readonly<S>) => void>();
  const call = <T>(fn: (v: T) => void, v: T) => {
    // A throwing subscriber must neither break the SDK nor starve the other subscribers.
    try { fn(v); } catch (error) { onError(error); }
  };
  const store: Store<S> = {
    get value() { return state; },
    set(patch) {
      let changed = false;
      for (const k in patch) if (!Object.is(patch[k], state[k])) { changed = true; break; }
      if (!changed) return;
      state = deepFreeze({ ...state, ...patch });
      const snapshot = state;
      for (const fn of [...listeners]) call(fn, snapshot);
    },
    subscribe(fn) {
      const wrapped = (s: Readonly<S>) => fn(s);
      listeners.add(wrapped);
      call(fn, state);
      return () => { listeners.delete(wrapped); };
    },
    select(key) {
      return {
        get value() { return state[key]; },
        subscribe(fn) {
          let last = state[key];
          let first = true;
          return store.subscribe((s) => {
            if (!first && Object.is(s[key], last)) return;
            first = false;
            last = s[key];
            fn(last);
          });
        },
      };
    },
  };
  return store;
}
