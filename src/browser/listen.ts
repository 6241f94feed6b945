/** DOM listeners that are removed together (on destroy() or when an element disconnects). */

/** Adds `fn` for `type` on `target` and records its removal in `teardown`. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- handlers read event fields of many types
export function listen(teardown: Array<() => void>, target: EventTarget, type: string, fn: (event: any) => void): void {
  target.addEventListener(type, fn);
  teardown.push(() => target.removeEventListener(type, fn));
}
