/**
 * Tabs in step where there is no BroadcastChannel: a storage event in the other tabs (the message is
 * written and removed at once; a nonce makes each write new). The script-tag bundle loads this with
 * its deferred chunk.
 */
import { uuid } from '../core/events.js';
import { listen } from './listen.js';

/** Hears the other tabs' messages (until `teardown` runs) and returns how to send one. */
export function storageSync(win: Window, name: string, ls: Storage | undefined, receive: (m: unknown) => void, teardown: Array<() => void>): (m: object) => void {
  listen(teardown, win, 'storage', (e: StorageEvent) => {
    if (e.key !== name || !e.newValue) return;
    let m: unknown;
    try { m = JSON.parse(e.newValue); } catch { return; }
    receive(m);
  });
  return (m) => { try { ls?.setItem(name, JSON.stringify({ ...m, n: uuid() })); ls?.removeItem(name); } catch { /* storage unavailable */ } };
}
