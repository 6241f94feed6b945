// The delivery queue both APIs share (src/browser/delivery.ts) under node:test: backoff and circuit
// breaker, the cap, purges and requeueing. The browser suites run it through the runtime against
// the emulator (delivery-queue.test.ts, runtime-insights.test.ts, the consent property suite);
// these pin each rule on its own, with Node's mock timers instead of waiting out real backoffs.
import { test, describe, before, beforeEach, afterEach, mock } from 'node:test';
import assert from 'node:assert/strict';
import { importTs } from '../helpers/bundle-ts.mjs';

/** @type {any} */
let d;
before(async () => { d = await importTs('src/browser/delivery.ts'); });

/** The runtime as the queue sees it: destroyed or not, events another page took over, its log, onDrop. */
const runtime = () => {
  const rt = {
    _destroyed: false,
    _taken: new Set(),
    /** @type {Array<{ api: string, reason: string, ids: readonly string[] }>} */
    drops: [],
    /** @type {string[]} */
    warned: [],
    _log: { warnOnce: (/** @type {string} */ code, /** @type {string} */ detail) => rt.warned.push(`${code} ${detail}`), error() {} },
    config: {
      /** @param {{ api: string, reason: string, messageIds: readonly string[] }} d */
      onDrop(d) { rt.drops.push({ api: d.api, reason: d.reason, ids: d.messageIds }); },
    },
  };
  return rt;
};

/** A queue whose passes only record how hard they were asked to try. */
const queue = (rt = runtime()) => {
  /** @type {any} */
  const Q = class extends d.DeliveryQueue {
    /** @type {number[]} */
    passes = [];
    async _flush(pass = d.AUTO) { this.passes.push(pass); }
  };
  return new Q(rt, 'experience');
};

/** An event with a promise-like settle record. */
const item = (id) => {
  const p = { event: { messageId: id, type: 'track' }, settled: /** @type {unknown} */ (undefined) };
  return Object.assign(p, { resolve: (/** @type {unknown} */ r) => { p.settled = r; } });
};

describe('retries', () => {
  beforeEach(() => { mock.timers.enable({ apis: ['setTimeout'] }); mock.method(Math, 'random', () => 0.999999); });
  afterEach(() => { mock.timers.reset(); mock.restoreAll(); });

  test('a failure is tried again, forced, after a backoff that doubles up to 30 s; the sixth opens the circuit', () => {
    const q = queue();
    // Jitter at its top (Math.random → 1): 1 s, 2 s, 4 s, 8 s, 16 s, then 30 s with the circuit open.
    const delays = [1000, 2000, 4000, 8000, 16000, 30000];
    delays.forEach((delay, n) => {
      q._retryLater();
      assert.equal(q._waiting, true);
      assert.equal(q._open, n + 1 >= d.BREAKER, `after ${n + 1} failure(s) the circuit is ${n + 1 >= d.BREAKER ? 'open' : 'closed'}`);
      mock.timers.tick(delay - 2);
      assert.deepEqual(q.passes, Array(n).fill(d.FORCED), `no retry before ${delay} ms`);
      mock.timers.tick(2);
      assert.deepEqual(q.passes, Array(n + 1).fill(d.FORCED), `the retry after ${delay} ms`);
      assert.equal(q._waiting, false);
    });
  });

  test('the jitter takes up to half of the backoff off, never more', () => {
    mock.method(Math, 'random', () => 0);
    const q = queue();
    q._retryLater();
    mock.timers.tick(499);
    assert.equal(q.passes.length, 0);
    mock.timers.tick(1);
    assert.deepEqual(q.passes, [d.FORCED]);
  });

  test('a Retry-After longer than the backoff wins; one retry is pending at a time', () => {
    const q = queue();
    q._retryLater(5000);
    q._retryLater(); // already waiting: no second timer, no extra failure
    mock.timers.tick(4999);
    assert.equal(q.passes.length, 0);
    mock.timers.tick(1);
    assert.deepEqual(q.passes, [d.FORCED]);
    q._retryLater();
    mock.timers.tick(2000);
    assert.deepEqual(q.passes, [d.FORCED, d.FORCED], 'the second failure waits 2 s: the pending call above did not count');
  });

  test('a destroyed runtime schedules no retry', () => {
    const rt = runtime();
    rt._destroyed = true;
    const q = queue(rt);
    q._retryLater();
    assert.equal(q._waiting, false);
    mock.timers.tick(60_000);
    assert.equal(q.passes.length, 0);
  });

  test('_reset cancels the pending retry and starts the backoff over', () => {
    const q = queue();
    for (let i = 0; i < 6; i++) { q._retryLater(); mock.timers.tick(30_000); }
    q._retryLater();
    assert.equal(q._open, true);
    q._reset();
    assert.equal(q._waiting, false);
    assert.equal(q._open, false);
    mock.timers.tick(60_000);
    assert.equal(q.passes.length, 6, 'the cancelled retry never runs');
    q._retryLater();
    mock.timers.tick(1000);
    assert.equal(q.passes.length, 7, 'the next failure is the first again: 1 s');
  });
});

describe('what leaves the queue without being delivered', () => {
  test('past the cap the oldest events go: settled as not accepted and reported to onDrop as "cap"', () => {
    const rt = runtime();
    const q = queue(rt);
    const items = ['a', 'b', 'c', 'd'].map(item);
    q._queue.push(...items);
    q._cap(2);
    assert.deepEqual(q._queue.map((p) => p.event.messageId), ['c', 'd']);
    assert.deepEqual(items.map((p) => p.settled), [{ accepted: false }, { accepted: false }, undefined, undefined]);
    assert.deepEqual(rt.drops, [{ api: 'experience', reason: 'cap', ids: ['a', 'b'] }]);
    assert.deepEqual(rt.warned, ['E022 experience'], 'the cap is reported (once: log.warnOnce)');
    q._cap(2);
    assert.equal(rt.drops.length, 1, 'at the cap nothing more goes');
  });

  test('without an onDrop, capped events are settled as not accepted all the same', () => {
    /** @type {any} */
    const rt = { ...runtime(), config: {} };
    const q = queue(rt);
    const items = ['a', 'b', 'c'].map(item);
    q._queue.push(...items);
    q._cap(1);
    assert.deepEqual(items.map((p) => p.settled), [{ accepted: false }, { accepted: false }, undefined]);
  });

  test('a purge takes everything queued, settles it as not accepted, reports nothing and cancels the retry', () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      const rt = runtime();
      const q = queue(rt);
      const items = ['a', 'b'].map(item);
      q._queue.push(...items);
      q._retryLater();
      assert.deepEqual(q._purge().map((p) => p.event.messageId), ['a', 'b']);
      assert.deepEqual(q._queue, []);
      assert.deepEqual(items.map((p) => p.settled), [{ accepted: false }, { accepted: false }]);
      assert.deepEqual(rt.drops, [], 'a purge is the user\'s choice (consent withdrawn, reset()), not a drop');
      mock.timers.tick(60_000);
      assert.equal(q.passes.length, 0);
    } finally { mock.timers.reset(); }
  });

  test('requeued events go back in front, in order, without those another page took over (settled as accepted)', () => {
    const rt = runtime();
    const q = queue(rt);
    q._queue.push(item('later'));
    const out = ['a', 'b', 'c'].map(item);
    rt._taken.add('b');
    q._requeue(out);
    assert.deepEqual(q._queue.map((p) => p.event.messageId), ['a', 'c', 'later']);
    assert.deepEqual(out.map((p) => p.settled), [undefined, { accepted: true }, undefined]);
  });

  test('events without a promise (Insights) are dropped and requeued the same way', () => {
    const rt = runtime();
    const q = queue(rt);
    q._queue.push(...['a', 'b', 'c'].map((id) => ({ event: { messageId: id } })));
    q._cap(1);
    assert.deepEqual(rt.drops, [{ api: 'experience', reason: 'cap', ids: ['a', 'b'] }]);
    rt._taken.add('x');
    q._requeue([{ event: { messageId: 'x' } }, { event: { messageId: 'y' } }]);
    assert.deepEqual(q._queue.map((p) => p.event.messageId), ['y', 'c']);
  });
});
