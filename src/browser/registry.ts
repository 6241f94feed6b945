/**
 * Where elements find the runtime: the most recently constructed `ContentfulOptimization` (the
 * script-tag bundle makes exactly one). Elements connected before it exists wait for it; a runtime
 * destroyed is withdrawn, so elements connected after that wait for the next one.
 */
import type { ContentfulOptimization } from './optimization.js';
import type { Unsubscribe } from '../core/store.js';

type Listener = (sdk: ContentfulOptimization) => Unsubscribe | void;
let current: ContentfulOptimization | undefined;
const waiting = new Map<Listener, Unsubscribe | void>();

/** `sdk` becomes the runtime of every element; `undefined` withdraws the current one (destroy()). */
export function provideRuntime(sdk: ContentfulOptimization | undefined): void {
  current = sdk;
  for (const [fn, prev] of waiting) {
    if (typeof prev === 'function') prev();
    waiting.set(fn, sdk && fn(sdk));
  }
}

export const currentRuntime = () => current;

/** Calls `fn` with the runtime now or once it exists (and again if it is replaced). */
export function onRuntime(fn: Listener): Unsubscribe {
  waiting.set(fn, current ? fn(current) : undefined);
  return () => {
    const off = waiting.get(fn);
    waiting.delete(fn);
    if (typeof off === 'function') off();
  };
}
