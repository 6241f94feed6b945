// Bad input never crashes the emulator or produces a 500; the CLI rejects bad flags with stable
// codes; --latency, --fail-rate and --seed do what they say.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { startEmulator, bin } from '../helpers/emulator.mjs';
import { composed, parseMessage } from '../helpers/messages.mjs';

const ts = '2026-08-21T10:00:00.000Z';
const page = (path = '/') => ({
  type: 'page', channel: 'web', messageId: randomUUID(), originalTimestamp: ts, sentAt: ts, timestamp: ts, context: {},
  properties: { path, query: {}, referrer: '', search: '', title: '', url: `https://x.example${path}` },
});
const tmp = mkdtempSync(join(tmpdir(), 'ctfl-emu-errors-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

async function call(url, method, path, body, headers = {}) {
  const res = await fetch(url + path, { method, headers: { 'content-type': 'text/plain', ...headers }, body });
  const text = await res.text();
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: res.status, json, text, headers: res.headers };
}

let emu;
before(async () => { emu = await startEmulator(['--orgs', 'shop,blog', '--environments', 'main,staging']); });
after(async () => { assert.equal(await emu.stop(), 0); });

const create = '/v2/organizations/shop/environments/main/profiles';
const good = JSON.stringify({ events: [page()] });
const withPage = (patch) => JSON.stringify({ events: [{ ...page(), ...patch }] });

/** @type {Array<[name: string, method: string, path: string, body: unknown, status: number, code: string, message: RegExp]>} */
const table = [
  ['malformed JSON', 'POST', create, '{"events": [', 400, 'ERR_INVALID_DATA', /^body: malformed JSON/],
  ['empty body', 'POST', create, '', 400, 'ERR_INVALID_DATA', /^body: expected JSON, received an empty body$/],
  ['array instead of object', 'POST', create, '[]', 400, 'ERR_INVALID_DATA', /^body: expected object, received array$/],
  ['events is not an array', 'POST', create, '{"events":"page"}', 400, 'ERR_INVALID_DATA', /^events: expected array, received string$/],
  ['wrong field type', 'POST', create, withPage({ properties: { ...page().properties, path: 42 } }), 400, 'ERR_INVALID_DATA',
    /^events\[0\]\.properties\.path: expected string, received number$/],
  ['missing context', 'POST', create, withPage({ context: undefined }), 400, 'ERR_INVALID_DATA', /^events\[0\]\.context: expected object, received nothing$/],
  ['empty events', 'POST', create, '{"events":[]}', 400, 'ERR_INVALID_DATA', /^events: expected at least 1 item\(s\)$/],
  ['unknown event type', 'POST', create, withPage({ type: 'purchase' }), 400, 'ERR_INVALID_DATA',
    /^events\[0\]\.type: unknown type "purchase"; expected one of page, identify, track, screen, component$/],
  ['Insights event type not accepted by Experience', 'POST', create, withPage({ type: 'component_click' }), 400, 'ERR_INVALID_DATA', /^events\[0\]\.type: unknown type/],
  ['bad channel', 'POST', create, withPage({ channel: 'fax' }), 400, 'ERR_INVALID_DATA', /^events\[0\]\.channel: expected one of "web", "server", "mobile"$/],
  ['body over 1 MB', 'POST', create, JSON.stringify({ events: [page()], pad: 'x'.repeat(1024 * 1024) }), 413, 'ERR_PAYLOAD_TOO_LARGE', /^body: larger than 1048576 bytes$/],
  ['unknown route', 'GET', '/v3/whatever', undefined, 404, 'ERR_NOT_FOUND', /^no route for GET \/v3\/whatever$/],
  ['unknown sub-route', 'POST', '/v2/organizations/shop/environments/main/segments', good, 404, 'ERR_NOT_FOUND', /segments/],
  ['wrong method on create', 'GET', create, undefined, 405, 'ERR_METHOD_NOT_ALLOWED', /use POST$/],
  ['wrong method on a profile', 'DELETE', `${create}/abc`, undefined, 405, 'ERR_METHOD_NOT_ALLOWED', /use GET, POST$/],
  ['unknown organization (restricted)', 'POST', '/v2/organizations/intruder/environments/main/profiles', good, 404, 'ERR_CONFIG_NOT_FOUND',
    /^organization "intruder" not found \(this emulator serves shop, blog\)$/],
  ['unknown environment (restricted)', 'POST', '/v2/organizations/shop/environments/prod/profiles', good, 404, 'ERR_CONFIG_NOT_FOUND', /^environment "prod" not found/],
  ['malformed organization', 'POST', '/v2/organizations/%3Cscript%3E/environments/main/profiles', good, 404, 'ERR_CONFIG_NOT_FOUND', /^organization "<script>" not found: ids are/],
  ['malformed profile id', 'POST', `${create}/${'x'.repeat(129)}`, good, 400, 'ERR_INVALID_DATA', /^profileId: /],
  ['Insights: not an array', 'POST', '/v1/organizations/shop/environments/main/events', '{"profile":{}}', 400, 'ERR_INVALID_DATA', /^body: expected array, received object$/],
  ['Insights: unknown event type', 'POST', '/v1/organizations/shop/environments/main/events',
    JSON.stringify([{ profile: { id: 'p' }, events: [page()] }]), 400, 'ERR_INVALID_DATA',
    /^\[0\]\.events\[0\]\.type: unknown type "page"; expected one of component, component_click, component_hover$/],
  ['Insights: bad profile id', 'POST', '/v1/organizations/shop/environments/main/events',
    JSON.stringify([{ profile: { id: 'a b' }, events: [] }]), 400, 'ERR_INVALID_DATA', /^\[0\]\.profile\.id: has an invalid format$/],
  ['Insights: wrong method', 'GET', '/v1/organizations/shop/environments/main/events', undefined, 405, 'ERR_METHOD_NOT_ALLOWED', /use POST/],
  ['deeply nested traits', 'POST', create, JSON.stringify({ events: [{ ...page(), type: 'identify', traits: { a: 'DEEP' } }] })
    .replace('"DEEP"', `${'['.repeat(100000)}${']'.repeat(100000)}`), 400, 'ERR_INVALID_DATA', /^body: nested deeper than 64 levels at body\.events\[0\]\.traits\.a\[0\]/],
  ['__proto__ keys', 'POST', create, '{"events":[{"__proto__":{"type":"page"}}],"__proto__":{"x":1}}', 400, 'ERR_INVALID_DATA', /^events\[0\]\.type: unknown type|no type/],
];

for (const [name, method, path, body, status, code, message] of table) {
  test(`bad input: ${name} → ${status} ${code}`, async () => {
    const res = await call(emu.url, method, path, body);
    assert.equal(res.status, status);
    assert.deepEqual(Object.keys(res.json).sort(), ['data', 'error', 'message']);
    assert.deepEqual(res.json.data, {});
    assert.deepEqual(res.json.error, { code });
    assert.match(res.json.message, message);
    const alive = await call(emu.url, 'POST', create, good);
    assert.equal(alive.status, 200, 'the server still answers');
  });
}

test('a 405 names the allowed methods in Allow; a 413 closes the connection', async () => {
  const res = await call(emu.url, 'GET', create);
  assert.equal(res.headers.get('allow'), 'POST, OPTIONS');
  const big = await call(emu.url, 'POST', create, 'x'.repeat(2 * 1024 * 1024));
  assert.equal(big.status, 413);
  assert.equal(big.headers.get('connection'), 'close');
});

test('no bad input produced a 500 or an unexpected error', async () => {
  const res = await fetch(`${emu.url}/_emulator/requests`);
  assert.equal(res.status, 200);
  const { requests } = await res.json();
  assert.ok(requests.length >= table.length * 2);
  assert.ok(requests.every((r) => r.status !== null && r.status < 500), JSON.stringify(requests.filter((r) => r.status >= 500)));
  assert.doesNotMatch(emu.output(), /unexpected error/);
});

// --- CLI ----------------------------------------------------------------------------------------

const run = (args) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 15000 });

test('CLI: --help prints usage and exits 0; bad flags exit 2 with a stable code', () => {
  const help = run(['serve', '--help']);
  assert.equal(help.status, 0);
  assert.match(help.stdout, /^Usage: ctfl-optimization serve/);
  assert.match(help.stdout, /--fail-rate P/);
  assert.equal(run(['--help']).status, 0);
  // The whole line: the table's E101 text around what was wrong (`see --help` is E101's action).
  /** @type {Array<[args: string[], detail: string]>} */
  const cases = [
    [['serve', '--fail-rate', '2'], '--fail-rate must be between 0 and 1 (got "2")'],
    [['serve', '--fail-rate=abc'], '--fail-rate must be between 0 and 1 (got "abc")'],
    [['serve', '--port', '70000'], '--port must be an integer from 0 to 65535 (got "70000")'],
    [['serve', '--latency'], '--latency needs a value'],
    [['serve', '--colour'], 'unknown option --colour'],
    [['serve', '--orgs', 'a,b c'], '--orgs takes comma-separated ids of A-Z, a-z, 0-9, "_" or "-" (got "b c")'],
    [['launch'], 'unknown command "launch"; the command is "serve"'],
  ];
  for (const [args, detail] of cases) {
    const r = run(args);
    assert.equal(r.status, 2, args.join(' '));
    assert.equal(r.stderr.trim(), composed('E101', detail));
    assert.equal(r.stdout, '');
  }
  assert.match(composed('E101', '--latency needs a value'), /^ctfl-opt\/E101: an unknown or invalid command-line flag: --latency needs a value — see `ctfl-optimization serve --help`$/);
});

test('CLI: a missing or invalid space file exits 2 with ctfl-opt/E102 naming the problem', () => {
  const missing = run(['serve', '--port', '0', '--space', join(tmp, 'nope.json')]);
  assert.equal(missing.status, 2);
  assert.match(parseMessage(missing.stderr.trim()).detail, /^\S*nope\.json: cannot read the space file \(ENOENT\)$/);
  const notJson = join(tmp, 'broken.json');
  writeFileSync(notJson, '{"entries": [');
  const broken = run(['serve', '--port', '0', '--space', notJson]);
  assert.equal(broken.status, 2);
  assert.match(parseMessage(broken.stderr.trim()).detail, /^\S*broken\.json: is not valid JSON/);
  const badConfig = join(tmp, 'bad-config.json');
  writeFileSync(badConfig, JSON.stringify({
    locales: [{ code: 'en-US', default: true }],
    entries: [{ sys: { id: 'exp1', contentType: { sys: { id: 'nt_experience' } } },
      fields: { nt_config: { 'en-US': { traffic: 2, distribution: [1], components: [] } } } }],
  }));
  const config = run(['serve', '--port', '0', '--space', badConfig]);
  assert.equal(config.status, 2);
  assert.match(parseMessage(config.stderr.trim()).detail, /^\S*bad-config\.json: experience exp1: entries\[0\]\.fields\.nt_config\.en-US\.traffic: expected at most 1/);
});

test('CLI: a busy port exits 1 with ctfl-opt/E104', async () => {
  const blocker = createServer();
  await /** @type {Promise<void>} */ (new Promise((r) => blocker.listen(0, '127.0.0.1', r)));
  const { port } = /** @type {import('node:net').AddressInfo} */ (blocker.address());
  const r = spawnSync(process.execPath, [bin, 'serve', '--port', String(port)], { encoding: 'utf8', timeout: 15000 });
  blocker.close();
  assert.equal(r.status, 1);
  assert.equal(r.stderr.trim(), composed('E104', `port ${port} on 127.0.0.1 is in use`));
  assert.match(r.stderr, /--port 0/, 'the action says how to pick a free port');
});

test('SIGINT and SIGTERM stop the server with exit code 0', async () => {
  for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM'])) {
    const e = await startEmulator();
    assert.equal((await call(e.url, 'POST', '/v2/organizations/sig/environments/main/profiles', good)).status, 200);
    assert.equal(await e.stop(signal), 0, signal);
  }
});

// --- latency, fail-rate, seed ---------------------------------------------------------------------

test('--latency delays API answers, not /_emulator/', async () => {
  const slow = await startEmulator(['--latency', '400']);
  try {
    let t = Date.now();
    assert.equal((await call(slow.url, 'POST', '/v2/organizations/lat/environments/main/profiles', good)).status, 200);
    assert.ok(Date.now() - t >= 390, `API answered after ${Date.now() - t} ms`);
    t = Date.now();
    assert.equal((await call(slow.url, 'GET', '/v2/organizations/lat/environments/main/profiles/nobody')).status, 404);
    assert.ok(Date.now() - t >= 390, 'errors are delayed too');
    t = Date.now();
    assert.equal((await call(slow.url, 'GET', '/_emulator/profiles')).status, 200);
    assert.ok(Date.now() - t < 300, `control answered after ${Date.now() - t} ms`);
  } finally {
    await slow.stop();
  }
});

async function statusesAndIds(args, count) {
  const e = await startEmulator(args);
  try {
    const out = [];
    for (let i = 0; i < count; i++) {
      const res = await call(e.url, 'POST', '/v2/organizations/seeded/environments/main/profiles', good);
      out.push(res.status === 200 ? res.json.data.profile.id : `${res.status}:${res.json.error.code}:${res.headers.get('retry-after')}`);
    }
    const control = [];
    for (let i = 0; i < 20; i++) control.push((await call(e.url, 'GET', '/_emulator/profiles')).status);
    return { out, control };
  } finally {
    await e.stop();
  }
}

test('--fail-rate answers a share of API requests with 503 + Retry-After; --seed makes runs repeatable', async () => {
  const a = await statusesAndIds(['--fail-rate', '0.5', '--seed', 'demo-seed'], 40);
  const b = await statusesAndIds(['--fail-rate', '0.5', '--seed', 'demo-seed'], 40);
  const failures = a.out.filter((s) => s.startsWith('503'));
  assert.ok(failures.length >= 8 && failures.length <= 32, `${failures.length} of 40 failed`);
  assert.ok(failures.every((s) => s === '503:ERR_SERVICE_UNAVAILABLE:1'));
  const ids = a.out.filter((s) => !s.startsWith('503'));
  assert.ok(ids.every((id) => /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(id)), 'seeded ids are UUID-shaped');
  assert.deepEqual(b.out, a.out, 'same seed, same requests → same failures and ids');
  assert.ok(a.control.every((s) => s === 200), '/_emulator/ is never failed');
  const c = await statusesAndIds(['--fail-rate', '0.5', '--seed', 'other-seed'], 40);
  assert.notDeepEqual(c.out, a.out);
});

test('--max-profile-rps answers 429 ERR_PROFILE_OVERLOAD', async () => {
  const e = await startEmulator(['--max-profile-rps', '3']);
  try {
    const path = '/v2/organizations/busy/environments/main/profiles/hot-profile';
    const results = await Promise.all(Array.from({ length: 8 }, () => call(e.url, 'POST', path, good)));
    const limited = results.filter((r) => r.status === 429);
    assert.ok(limited.length >= 1, results.map((r) => r.status).join());
    assert.equal(limited[0].json.error.code, 'ERR_PROFILE_OVERLOAD');
  } finally {
    await e.stop();
  }
});

test('a process killed by a signal it does not handle is not a clean exit (sanity check for stop())', async () => {
  const child = spawn(process.execPath, [bin, 'serve', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise((r) => child.stdout.once('data', r));
  child.kill('SIGKILL');
  const [code, signal] = await new Promise((r) => child.once('exit', (c, s) => r([c, s])));
  assert.equal(code, null);
  assert.equal(signal, 'SIGKILL');
});
