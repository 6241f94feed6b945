// Hardening (issue 9): the emulator under random and mutated input. Valid Experience, batch,
// Insights and control bodies are mutated (random bytes, truncation, deep nesting, huge strings,
// wrong types, prototype keys, bad JSON) and sent with random methods, odd paths, queries and
// content types to a real `ctfl-optimization serve --data DIR` process. Every answer must be a 2xx
// or 4xx, never a 5xx, a dropped connection or a crash. Then `kill -9` lands in the middle of a
// burst of writes (and once during start-up compaction) and the next start must read the store.
//
// Seeded: FUZZ_SEED=<n> replays a run; the seed is printed in the test names.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, request } from 'node:http';
import { connect } from 'node:net';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bin, demoSpace, startEmulator } from '../helpers/emulator.mjs';
import { prng } from '../helpers/prng.mjs';

const SEED = Number(process.env.FUZZ_SEED ?? 0x9e3779b9) >>> 0;
const CASES = Number(process.env.FUZZ_CASES ?? 10_000);
const CONCURRENCY = 16;

const root = mkdtempSync(join(tmpdir(), 'ctfl-fuzz-'));
after(() => rmSync(root, { recursive: true, force: true }));

// ------------------------------------------------------------------------------------------------
// A small seeded generator (mulberry32): the same seed gives the same cases.

function generator(seed) {
  const next = prng(seed);
  const int = (lo, hi) => lo + Math.floor(next() * (hi - lo + 1));
  const pick = (items) => items[Math.floor(next() * items.length)];
  const chance = (p) => next() < p;
  return { next, int, pick, chance };
}

// ------------------------------------------------------------------------------------------------
// Valid bodies, then mutations of them.

const ts = '2026-08-21T10:00:00.000Z';
let uuidCounter = 0;
const uuid = () => `00000000-0000-4000-8000-${(uuidCounter++).toString(16).padStart(12, '0')}`;
const common = (type) => ({ type, channel: 'web', messageId: uuid(), originalTimestamp: ts, sentAt: ts, timestamp: ts, context: { gdpr: { isConsentGiven: true }, locale: 'en-US', page: { path: '/', query: {}, referrer: '', search: '', url: 'https://x.example/' } } });
const validEvents = {
  page: () => ({ ...common('page'), properties: { path: '/pricing', query: { utm_campaign: 'spring' }, referrer: '', search: '?utm_campaign=spring', title: 'Pricing', url: 'https://x.example/pricing' } }),
  identify: () => ({ ...common('identify'), userId: 'user-1', traits: { firstname: 'Ada', plan: 'pro', nested: { a: [1, 2, { b: null }] } } }),
  track: () => ({ ...common('track'), event: 'signup', properties: { value: 42 } }),
  screen: () => ({ ...common('screen'), name: 'Home', properties: {} }),
  component: () => ({ ...common('component'), componentType: 'Entry', componentId: 'heroBaseline0000000001', experienceId: 'expHeroPricing00000001', variantIndex: 1, viewId: uuid(), viewDurationMs: 1000 }),
};
const insightsEvents = {
  component: validEvents.component,
  component_click: () => ({ ...common('component_click'), componentType: 'Entry', componentId: 'c1', variantIndex: 0 }),
  component_hover: () => ({ ...common('component_hover'), componentType: 'Entry', componentId: 'c1', variantIndex: 0, hoverId: uuid(), hoverDurationMs: 1200 }),
};

function validBody(g, kind) {
  const some = (set, n) => Array.from({ length: n }, () => g.pick(Object.values(set))());
  switch (kind) {
    case 'experience': {
      const body = { events: some(validEvents, g.int(1, 4)) };
      if (g.chance(0.3)) body.options = { features: ['location', 'ip-enrichment'] };
      if (g.chance(0.3)) body.meta = { state: { entries: [{ key: 'kndctr_fuzz_session', value: 'abc' }] } };
      return body;
    }
    case 'batch':
      return { events: some(validEvents, g.int(1, 4)).map((e) => ({ ...e, anonymousId: g.pick(['anon-1', 'anon-2', uuid()]) })) };
    case 'insights':
      return [{ profile: { id: g.pick(['p-1', 'p-2', 'fuzz-profile']) }, events: some(insightsEvents, g.int(1, 3)) }];
    case 'clock':
      return g.pick([{ advanceMs: g.int(-1e6, 1e6) }, { offsetMs: g.int(-1e6, 1e6) }, { advanceMs: 0 }]);
    default:
      return {};
  }
}

const WEIRD_STRINGS = [
  '', ' ', '\u0000', '\uFFFF', '\uD800', '😀'.repeat(50), '<script>alert(1)</script>', '"; path=/x', '../../etc/passwd',
  '%00', '%', '__proto__', 'constructor', 'toString', '1e309', 'NaN', 'x'.repeat(5000),
];
const WEIRD_NUMBERS = [0, -0, -1, 1.5, 1e308, -1e308, 5e-324, 2 ** 53 + 1, 123456789012345678901234567890];

function randomJson(g, depth = 0) {
  const r = g.int(0, depth > 3 ? 4 : 7);
  switch (r) {
    case 0: return null;
    case 1: return g.chance(0.5);
    case 2: return g.pick(WEIRD_NUMBERS);
    case 3: return g.pick(WEIRD_STRINGS);
    case 4: return g.int(-1000, 1000);
    case 5: return Array.from({ length: g.int(0, 4) }, () => randomJson(g, depth + 1));
    default: {
      const o = {};
      for (let i = g.int(0, 4); i > 0; i--) o[g.pick(['type', 'events', 'profile', 'id', 'traits', '__proto__', 'constructor', 'x', g.pick(WEIRD_STRINGS)])] = randomJson(g, depth + 1);
      return o;
    }
  }
}

/** Every [container, key] pair in a JSON value, for picking a place to mutate. */
function slots(value, out = []) {
  if (value && typeof value === 'object') {
    for (const key of Object.keys(value)) {
      out.push([value, key]);
      slots(value[key], out);
    }
  }
  return out;
}

function nest(g, inner) {
  const depth = g.pick([63, 64, 65, 200, 5000, 50_000]);
  const array = g.chance(0.5);
  return (array ? '['.repeat(depth) : '{"a":'.repeat(depth)) + inner + (array ? ']' : '}').repeat(depth);
}

/** A mutated body: [text or Buffer, mutation name]. */
function mutate(g, body) {
  const text = JSON.stringify(body);
  const m = g.int(0, 15);
  switch (m) {
    case 0: return [text, 'valid'];
    case 1: { // random bytes
      const buf = Buffer.from(text);
      for (let i = g.int(1, 8); i > 0; i--) buf[g.int(0, buf.length - 1)] = g.int(0, 255);
      return [buf, 'random bytes'];
    }
    case 2: return [text.slice(0, g.int(0, text.length - 1)), 'truncated'];
    case 3: { // wrong type at a random place
      const copy = JSON.parse(text);
      const all = slots(copy);
      if (all.length) { const [c, k] = g.pick(all); c[k] = randomJson(g); }
      return [JSON.stringify(copy), 'wrong type'];
    }
    case 4: { // deep nesting at a random place
      const copy = JSON.parse(text);
      const all = slots(copy);
      if (!all.length) return [nest(g, '1'), 'deep nesting'];
      const [c, k] = g.pick(all);
      c[k] = '__NEST__';
      return [JSON.stringify(copy).replace('"__NEST__"', nest(g, '"x"')), 'deep nesting'];
    }
    case 5: { // a huge string
      const copy = JSON.parse(text);
      const all = slots(copy);
      const huge = g.pick(['x', 'é', '😀', '\\u0000', '<']).repeat(g.pick([4097, 70_000, 300_000]));
      if (all.length) { const [c, k] = g.pick(all); c[k] = huge; }
      return [JSON.stringify(copy), 'huge string'];
    }
    case 6: { // prototype keys
      const copy = JSON.parse(text);
      const all = slots(copy).filter(([c]) => !Array.isArray(c));
      const key = g.pick(['__proto__', 'constructor', 'prototype', 'hasOwnProperty']);
      const raw = JSON.stringify(copy);
      if (!all.length) return [`{"${key}":{"polluted":true}}`, 'prototype keys'];
      return [raw.replace(/\{/g, (brace) => (g.chance(0.3) ? `{"${key}":{"polluted":true,"type":"page"},` : brace)).replace(/,\}/g, '}'), 'prototype keys'];
    }
    case 7: return [Buffer.from(Array.from({ length: g.int(0, 512) }, () => g.int(0, 255))), 'random bytes body'];
    case 8: return [JSON.stringify(randomJson(g)), 'random JSON'];
    case 9: return [g.pick(['', ' ', '\n', '\uFEFF{}', 'null', 'true', '0', '""', '[]', '{}', '[[]]', '{"events":null}', '{"events":[null]}', '{"events":[{}]}', 'NaN', 'undefined', '{"a":1,"a":2}']), 'edge JSON'];
    case 10: { // delete a key
      const copy = JSON.parse(text);
      const all = slots(copy).filter(([c]) => !Array.isArray(c));
      if (all.length) { const [c, k] = g.pick(all); delete c[k]; }
      return [JSON.stringify(copy), 'missing key'];
    }
    case 11: { // extreme numbers in raw text
      return [text.replace(/\d+/g, (d) => (g.chance(0.3) ? g.pick(['1e309', '-1e309', '1e-400', '123456789012345678901234567890', '-0', '0.0000001']) : d)), 'extreme numbers'];
    }
    case 12: { // many items
      const copy = JSON.parse(text);
      const arr = Array.isArray(copy) ? copy : copy.events;
      if (Array.isArray(arr) && arr.length) {
        const n = g.pick([50, 201, 2000]);
        while (arr.length < n) arr.push(structuredClone(arr[arr.length % Math.max(1, arr.length)]));
      }
      return [JSON.stringify(copy), 'many items'];
    }
    case 13: return [text.replace(/"/g, () => (g.chance(0.05) ? "'" : '"')), 'bad quotes'];
    case 14: return [Buffer.concat([Buffer.from(text.slice(0, -1)), Buffer.from([0xc3, 0x28]), Buffer.from(text.slice(-1))]), 'invalid UTF-8'];
    default: { // a string where an id should be
      return [text.replace(/"(p-1|p-2|fuzz-profile|anon-1|anon-2|heroBaseline0000000001|signup)"/g, () => JSON.stringify(g.pick(WEIRD_STRINGS))), 'odd ids'];
    }
  }
}

// ------------------------------------------------------------------------------------------------
// Requests

const ORGS = ['fuzz', 'fuzz_2', 'a'.repeat(64), 'a'.repeat(65), '%3Cscript%3E', '..', '%', '%00', '😀', 'x y', '%2F', ''];
const ENVS = ['main', 'staging', 'ÿ', '%E0%A4%A', ''];
const PROFILE_IDS = ['p-1', 'p-2', 'fuzz-profile', 'x'.repeat(129), '%2e%2e', 'a%00b', '__proto__', 'constructor', ''];

function path(g) {
  const org = g.chance(0.75) ? 'fuzz' : g.pick(ORGS);
  const env = g.chance(0.85) ? 'main' : g.pick(ENVS);
  const v2 = `/v2/organizations/${org}/environments/${env}`;
  const shapes = [
    [`${v2}/profiles`, 'experience'],
    [`${v2}/profiles/${g.pick(PROFILE_IDS)}`, 'experience'],
    [`${v2}/events`, 'batch'],
    [`/v1/organizations/${org}/environments/${env}/events`, 'insights'],
    ['/_emulator/clock', 'clock'],
    // The request log of the busy organization is large: read it rarely, or the suite measures JSON.stringify.
    [g.chance(0.02) ? '/_emulator/requests?organization=fuzz' : g.pick(['/_emulator/requests?organization=fuzz_2', '/_emulator/events?organization=fuzz', '/_emulator/profiles?organization=fuzz', '/_emulator/', '/_emulator/nope', '/_emulator']), 'none'],
    [g.pick(['/', '//', '/v2', '/v2/organizations', `/v2/organizations/${org}`, `${v2}/profiles/a/b`, `${v2}//profiles`, `${v2}/profiles/`, '/v3/x', '/%', '/%00', `/${'a/'.repeat(2000)}`, '/\u00e9', '/*', '/v1/organizations/fuzz/environments/main/events/extra']), 'experience'],
  ];
  const [p, kind] = g.pick(shapes);
  const query = g.chance(0.2) ? `?${g.pick(['type=preflight', 'locale=de-DE', 'locale=<x>', 'type=preflight&type=x', 'locale=' + 'x'.repeat(3000), '%zz=1', 'a=%', '__proto__=1', 'organization=fuzz'])}` : '';
  // node:http refuses to send spaces, controls and non-Latin-1 in a path: they go percent-encoded
  // (raw request lines are fuzzed separately below).
  return [(p + query).replace(/[^\u0021-\u007e]/gu, (ch) => encodeURIComponent(ch)), kind];
}

const METHODS = ['POST', 'POST', 'POST', 'POST', 'GET', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD'];
const CONTENT_TYPES = [undefined, 'text/plain', 'application/json', 'application/json; charset=utf-8', 'text/plain;charset=UTF-8', 'multipart/form-data; boundary=x', 'application/x-www-form-urlencoded', 'application/octet-stream', '*/*', 'garbage;;;==', 'application/json; charset=latin1'];

function makeCase(g, i) {
  const [p, kind] = path(g);
  const method = kind === 'none' && g.chance(0.7) ? 'GET' : g.pick(METHODS);
  const [body, mutation] = method === 'GET' || method === 'HEAD' ? [undefined, 'no body'] : mutate(g, validBody(g, kind));
  // node:http frames DELETE and OPTIONS bodies only with an explicit Content-Length.
  const headers = body === undefined ? {} : { 'content-length': String(Buffer.byteLength(body)) };
  const ct = g.pick(CONTENT_TYPES);
  if (ct) headers['content-type'] = ct;
  if (g.chance(0.1)) headers['x-force-ip'] = g.pick(['1.2.3.4', '', '::1', '<x>', '999.999.999.999', 'x'.repeat(2000)]);
  if (g.chance(0.05)) headers['content-encoding'] = 'gzip'; // claimed, not true
  if (g.chance(0.05)) headers.origin = g.pick(['https://evil.example', 'null']);
  return { i, method, path: p, body, mutation, headers };
}

let socketIds = 0;
const history = {};
const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });

/** One request; resolves with the status (or the socket error) and never rejects. */
function send(base, c) {
  return new Promise((resolve) => {
    const url = new URL(base);
    const req = request({ host: url.hostname, port: url.port, method: c.method, path: c.path, headers: c.headers, agent }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode }));
      res.on('error', (error) => resolve({ error: /** @type {NodeJS.ErrnoException} */ (error).code ?? String(error) }));
    });
    if (process.env.FUZZ_DEBUG) req.on('socket', (/** @type {import('node:net').Socket & { __id?: number }} */ sock) => { sock.__id ??= ++socketIds; (history[sock.__id] ??= []).push(c.i); c.socket = sock.__id; });
    req.setTimeout(20_000, () => req.destroy(new Error('timeout')));
    req.on('error', (error) => resolve({ error: /** @type {NodeJS.ErrnoException} */ (error).code ?? error.message }));
    req.end(c.body);
  });
}

async function runCases(base, cases) {
  const results = new Array(cases.length);
  let next = 0;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < cases.length) {
      const c = cases[next++];
      const t0 = Date.now();
      results[c.i] = await send(base, c);
      results[c.i].ms = Date.now() - t0;
    }
  }));
  return results;
}

const bytes = (c) => (c.body === undefined ? 0 : Buffer.byteLength(c.body));
const describeCase = (c, r) => `${r.status ?? r.error} ← ${c.method} (${bytes(c)} B) ${c.path.slice(0, 120)} [${c.mutation}] ${c.body === undefined ? '' : String(c.body).slice(0, 160)}`;

test(`fuzz: ${CASES} random and mutated requests (seed ${SEED}) get only 2xx/4xx answers, never a 5xx or a crash`, { timeout: 120_000 }, async (t) => {
  const emu = await startEmulator(['--data', join(root, 'fuzz'), '--seed', 'fuzz']);
  try {
    const g = generator(SEED);
    const cases = Array.from({ length: CASES }, (_, i) => makeCase(g, i));
    const started = Date.now();
    const results = await runCases(emu.url, cases);
    const bad = [];
    const byStatus = {};
    for (const c of cases) {
      const r = results[c.i];
      const key = r.status ?? r.error;
      byStatus[key] = (byStatus[key] ?? 0) + 1;
      // A body over 1 MB is answered 413 and the connection closed without reading the rest, so
      // the client may see the reset before the answer; any other lost connection, any 3xx and any
      // 5xx is a finding.
      const refusedMidBody = r.status === undefined && bytes(c) > 1024 * 1024;
      if ((r.status === undefined && !refusedMidBody) || r.status >= 500 || (r.status >= 300 && r.status < 400)) bad.push(describeCase(c, r));
    }
    if (process.env.FUZZ_SLOWEST) for (const c of [...cases].sort((a, b) => results[b.i].ms - results[a.i].ms).slice(0, 15)) t.diagnostic(`${results[c.i].ms} ms: ${describeCase(c, results[c.i])}`);
    if (process.env.FUZZ_DEBUG) for (const c of cases) if (results[c.i].error) { const h = history[c.socket]; const k = h.indexOf(c.i); for (const j of h.slice(Math.max(0, k - 2), k + 1)) t.diagnostic(`socket ${c.socket}: ${describeCase(cases[j], results[j])} ${JSON.stringify(cases[j].headers)}`); }
    if (process.env.FUZZ_DEBUG) t.diagnostic(emu.output().slice(-3000));
    t.diagnostic(`${cases.length} cases in ${Date.now() - started} ms; answers: ${JSON.stringify(byStatus)}`);
    assert.deepEqual(bad.slice(0, 20), [], `${bad.length} bad answer(s)`);
    assert.equal(emu.child.exitCode, null, 'the emulator is still running');
    assert.doesNotMatch(emu.output(), /unexpected error/, 'no handler threw an unexpected error');
    const alive = await fetch(`${emu.url}/_emulator/profiles?organization=fuzz`);
    assert.equal(alive.status, 200);
    await alive.json();
  } finally {
    agent.destroy();
    await emu.stop();
  }
});

// ------------------------------------------------------------------------------------------------
// Raw request lines and framing that node:http would never send.

function rawCase(g) {
  const host = 'Host: 127.0.0.1\r\n';
  const body = JSON.stringify(validBody(g, 'experience'));
  const p = '/v2/organizations/fuzz/environments/main/profiles';
  const cases = [
    () => `GET ${g.pick(['/ /', '/\x00', '/\x7f', 'no-slash', '*', '/%', 'http://evil.example/x'])} HTTP/1.1\r\n${host}\r\n`,
    () => `${g.pick(['GE T', 'G\u00e9T', 'BREW', 'CONNECT', 'TRACE', ''])} / HTTP/1.1\r\n${host}\r\n`,
    () => `GET / HTTP/${g.pick(['0.9', '2.0', '9.9', '1.1.1', 'x'])}\r\n${host}\r\n`,
    () => `GET / HTTP/1.1\r\n${host}${'X-Junk: ' + 'a'.repeat(g.pick([100, 20_000, 70_000]))}\r\n\r\n`,
    () => `GET / HTTP/1.1\r\n${host}No colon here\r\n\r\n`,
    () => `POST ${p} HTTP/1.1\r\n${host}Content-Length: ${g.pick(['abc', '-1', '1e3', ' 5', '99999999999999999999'])}\r\n\r\n${body}`,
    () => `POST ${p} HTTP/1.1\r\n${host}Content-Length: 5\r\nContent-Length: 6\r\n\r\n${body}`,
    () => `POST ${p} HTTP/1.1\r\n${host}Transfer-Encoding: chunked\r\n\r\n${g.pick(['zz', '-1', 'fffffffffffffffff', '5'])}\r\n${body.slice(0, 5)}\r\n0\r\n\r\n`,
    () => `POST ${p} HTTP/1.1\r\n${host}Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n3\r\nabc\r\n0\r\n\r\n`,
    () => Buffer.from(Array.from({ length: g.int(1, 300) }, () => g.int(0, 255))),
    // Headers and part of the body, then the client goes away mid-body.
    () => ({ text: `POST ${p} HTTP/1.1\r\n${host}Content-Type: text/plain\r\nContent-Length: ${body.length + 1000}\r\n\r\n${body.slice(0, g.int(0, body.length))}`, abort: true }),
    () => `POST ${p} HTTP/1.1\r\n${host}Content-Length: ${body.length}\r\n\r\n${body}`, // a control: valid
  ];
  const made = g.pick(cases)();
  return typeof made === 'object' && !Buffer.isBuffer(made) ? made : { text: made, abort: false };
}

function sendRaw(base, c) {
  return new Promise((resolve) => {
    const url = new URL(base);
    const socket = connect(Number(url.port), url.hostname);
    let answer = '';
    const done = () => { socket.destroy(); resolve(answer); };
    socket.setTimeout(5000, done);
    socket.on('data', (d) => { answer += d.toString('latin1'); });
    socket.on('error', done);
    socket.on('close', done);
    socket.write(c.text, () => {
      if (c.abort) setTimeout(done, 20);
      else socket.end();
    });
  });
}

test('fuzz: 300 raw requests with broken request lines, headers and framing (and clients leaving mid-body) get a 4xx or a closed connection, never a 5xx', { timeout: 60_000 }, async (t) => {
  const emu = await startEmulator([]);
  try {
    const g = generator(SEED ^ 0x5bd1e995);
    const cases = Array.from({ length: 300 }, () => rawCase(g));
    const answers = new Array(cases.length);
    let next = 0;
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (next < cases.length) { const i = next++; answers[i] = await sendRaw(emu.url, cases[i]); }
    }));
    const statuses = {};
    const bad = [];
    answers.forEach((a, i) => {
      // Several answers on one connection (pipelining): every one counts.
      const codes = [...a.matchAll(/HTTP\/1\.[01] (\d{3})/g)].map((m) => Number(m[1]));
      for (const code of codes.length ? codes : ['closed']) statuses[code] = (statuses[code] ?? 0) + 1;
      if (codes.some((code) => code >= 500)) bad.push(`${codes} ← ${JSON.stringify(String(cases[i].text).slice(0, 120))}`);
    });
    t.diagnostic(`${cases.length} raw cases; answers: ${JSON.stringify(statuses)}`);
    assert.deepEqual(bad, []);
    assert.equal(emu.child.exitCode, null, 'the emulator is still running');
    assert.doesNotMatch(emu.output(), /unexpected error/, 'no handler threw an unexpected error');
    assert.equal((await fetch(`${emu.url}/_emulator/profiles`)).status, 200);
  } finally {
    await emu.stop();
  }
});

// ------------------------------------------------------------------------------------------------
// The faults route itself: random and mutated fault specs.

test('fuzz: 400 random and mutated fault specs to /_emulator/faults get a 2xx or 4xx (each cleared again)', { timeout: 60_000 }, async (t) => {
  const emu = await startEmulator([]);
  try {
    const g = generator(SEED ^ 0x27d4eb2f);
    const statuses = {};
    const bad = [];
    const base = () => ({ organization: 'fuzz-faults', api: g.pick(['experience', 'insights']), count: g.int(1, 3), status: g.pick([200, 302, 400, 429, 500, 503]), body: g.pick(['', '{}', 'not json']), headers: g.pick([{}, { 'Retry-After': '1' }, { Location: '/x' }]), delayMs: g.int(0, 10) });
    for (let i = 0; i < 400; i++) {
      const [body, mutation] = mutate(g, base());
      const res = await fetch(`${emu.url}/_emulator/faults`, { method: 'POST', body });
      await res.arrayBuffer();
      statuses[res.status] = (statuses[res.status] ?? 0) + 1;
      if (res.status >= 500 || res.status < 200 || (res.status >= 300 && res.status < 400)) bad.push(`${res.status} ← [${mutation}] ${String(body).slice(0, 160)}`);
      await (await fetch(`${emu.url}/_emulator/faults`, { method: 'DELETE' })).arrayBuffer();
    }
    t.diagnostic(`400 fault specs; answers: ${JSON.stringify(statuses)}`);
    assert.deepEqual(bad, []);
    assert.doesNotMatch(emu.output(), /unexpected error/);
  } finally {
    await emu.stop();
  }
});

// ------------------------------------------------------------------------------------------------
// kill -9 during writes, then restart: the store must be readable and hold every acknowledged write.

const PROFILES = '/v2/organizations/fuzz/environments/main/profiles';

test('kill -9 in the middle of a burst of writes (3 rounds, same --data) and once during start-up: every restart reads the store and keeps each acknowledged profile', { timeout: 90_000 }, async (t) => {
  const data = join(root, 'killed');
  const g = generator(SEED ^ 0x1b873593);
  const acknowledged = new Set();
  const rounds = 3;
  for (let round = 0; round < rounds; round++) {
    const emu = await startEmulator(['--data', data]);
    let killed = false;
    const killAfter = g.int(100, 400); // acknowledged writes in this round before the kill
    let acks = 0;
    const worker = async (w) => {
      for (let i = 0; !killed; i++) {
        // Valid writes, with fuzz cases mixed in (they must not disturb the log either).
        const c = i % 3 === 2 ? makeCase(g, 0) : { method: 'POST', path: PROFILES, headers: {}, body: JSON.stringify({ events: [validEvents.page(), { ...validEvents.identify(), userId: undefined, traits: { round, w, i } }] }) };
        if (c.body !== undefined) c.headers['content-length'] = String(Buffer.byteLength(c.body));
        const res = await new Promise((resolve) => {
          const url = new URL(emu.url);
          const req = request({ host: url.hostname, port: url.port, method: c.method, path: c.path, headers: c.headers }, (r) => {
            let text = '';
            r.setEncoding('utf8').on('data', (d) => { text += d; }).on('end', () => resolve({ status: r.statusCode, text })).on('error', () => resolve({}));
          });
          req.on('error', () => resolve({}));
          req.end(c.body);
        });
        if (c.path === PROFILES && res.status === 200) {
          acknowledged.add(JSON.parse(res.text).data.profile.id);
          if (++acks >= killAfter && !killed) { killed = true; emu.child.kill('SIGKILL'); }
        }
      }
    };
    await Promise.all(Array.from({ length: 12 }, (_, w) => worker(w)));
    assert.equal(await emu.stop(), null, `round ${round}: killed, not exited`);
  }

  // A kill while the next start is still reading and compacting the store.
  const early = spawn(process.execPath, [bin, 'serve', '--port', '0', '--space', demoSpace, '--data', data], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, g.int(20, 250)));
  early.kill('SIGKILL');
  await /** @type {Promise<void>} */ (new Promise((r) => (early.exitCode !== null || early.signalCode !== null ? r() : early.once('exit', () => r()))));

  const restarted = await startEmulator(['--data', data]);
  try {
    const { profiles } = await (await fetch(`${restarted.url}/_emulator/profiles?organization=fuzz`)).json();
    const stored = new Set(profiles.map((p) => p.id));
    const lost = [...acknowledged].filter((id) => !stored.has(id));
    t.diagnostic(`${acknowledged.size} acknowledged profiles over ${rounds} kills, ${stored.size} stored after restart`);
    assert.deepEqual(lost, [], 'every acknowledged profile survived');
    const again = await fetch(`${restarted.url}${PROFILES}`, { method: 'POST', body: JSON.stringify({ events: [validEvents.page()] }) });
    assert.equal(again.status, 200, 'and it takes new writes');
  } finally {
    assert.equal(await restarted.stop(), 0);
  }
});
