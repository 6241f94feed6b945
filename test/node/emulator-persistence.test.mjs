// --data DIR: what survives a clean restart, and what survives `kill -9` in the middle of a burst.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulator, demoSpace } from '../helpers/emulator.mjs';

const TEASER = 'expTeaserAbTest0000001';
const root = mkdtempSync(join(tmpdir(), 'ctfl-emu-data-'));
after(() => rmSync(root, { recursive: true, force: true }));

const ts = '2026-08-21T10:00:00.000Z';
const common = () => ({ channel: 'web', messageId: randomUUID(), originalTimestamp: ts, sentAt: ts, timestamp: ts, context: {} });
const page = (path) => ({ ...common(), type: 'page', properties: { path, query: {}, referrer: '', search: '', title: '', url: `https://x.example${path}` } });
const identify = (userId, traits) => ({ ...common(), type: 'identify', ...(userId ? { userId } : {}), traits });
const view = (experienceId, variantIndex) => ({ ...common(), type: 'component', componentType: 'Entry', componentId: 'c', experienceId, variantIndex, viewId: randomUUID() });

async function call(url, method, path, body) {
  const res = await fetch(url + path, { method, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  return { status: res.status, json: await res.json() };
}
const v2 = '/v2/organizations/persist/environments/main';

test('profiles, sessions, sticky variants, the userId index and Insights events survive a restart', async () => {
  const data = join(root, 'restart');
  let emu = await startEmulator(['--data', data]);
  const created = await call(emu.url, 'POST', `${v2}/profiles`, { events: [page('/pricing'), identify('user-9', { firstname: 'Grace' })] });
  assert.equal(created.status, 200);
  const profile = created.json.data.profile;
  const teaser = created.json.data.experiences.find((e) => e.experienceId === TEASER).variantIndex;
  await call(emu.url, 'POST', `${v2}/profiles/${profile.id}`, { events: [view(TEASER, teaser)] });
  const insightEvents = [view(TEASER, teaser), view(TEASER, teaser)];
  assert.equal((await call(emu.url, 'POST', '/v1/organizations/persist/environments/main/events', [{ profile: { id: profile.id }, events: insightEvents }])).status, 200);
  const doomed = (await call(emu.url, 'POST', '/v2/organizations/doomed/environments/main/profiles', { events: [page('/')] })).json.data.profile;
  assert.equal((await call(emu.url, 'POST', '/_emulator/reset?organization=doomed')).status, 200);
  assert.equal(await emu.stop('SIGTERM'), 0);

  // Restart with a space whose distribution now sends everybody to the other variant.
  const space = JSON.parse(readFileSync(demoSpace, 'utf8'));
  const exp = space.entries.find((e) => e.sys.id === TEASER);
  exp.fields.nt_config['en-US'].distribution = teaser === 1 ? [1, 0] : [0, 1];
  const flipped = join(root, 'flipped-space.json');
  writeFileSync(flipped, JSON.stringify(space));
  emu = await startEmulator(['--data', data], { space: flipped });
  try {
    assert.match(emu.output(), /loaded 1 profile\(s\) and 2 Insights event\(s\)/);
    const read = await call(emu.url, 'GET', `${v2}/profiles/${profile.id}`);
    assert.equal(read.status, 200);
    const again = read.json.data.profile;
    assert.deepEqual(again.traits, { firstname: 'Grace' });
    assert.deepEqual(again.audiences, profile.audiences);
    assert.equal(again.session.id, profile.session.id, 'the session continues');
    assert.equal(again.session.count, 1);
    assert.equal(read.json.data.experiences.find((e) => e.experienceId === TEASER).variantIndex, teaser, 'the sticky variant survived');
    const fresh = (await call(emu.url, 'POST', `${v2}/profiles`, { events: [page('/')] })).json.data;
    assert.equal(fresh.experiences.find((e) => e.experienceId === TEASER).variantIndex, 1 - teaser, 'a new profile follows the new distribution');
    const known = (await call(emu.url, 'POST', `${v2}/profiles`, { events: [identify('user-9', {})] })).json.data.profile;
    assert.equal(known.id, profile.id, 'the userId index survived');
    const events = (await call(emu.url, 'GET', '/_emulator/events?organization=persist')).json.events;
    assert.deepEqual(events.map((e) => e.event.messageId), insightEvents.map((e) => e.messageId));
    await call(emu.url, 'POST', '/v1/organizations/persist/environments/main/events', [{ profile: { id: profile.id }, events: insightEvents }]);
    assert.equal((await call(emu.url, 'GET', '/_emulator/events?organization=persist')).json.events.length, 2, 'still de-duplicated');
    assert.equal((await call(emu.url, 'GET', `/v2/organizations/doomed/environments/main/profiles/${doomed.id}`)).status, 404, 'the reset was persisted');
  } finally {
    assert.equal(await emu.stop(), 0);
  }
  assert.ok(readdirSync(data).includes('snapshot.json'));
});

test('kill -9 during a burst of concurrent writes leaves a store the next start reads, with every acknowledged write', async () => {
  const data = join(root, 'killed');
  const emu = await startEmulator(['--data', data]);
  const acknowledged = new Map();
  let killed = false;
  let inFlightAtKill = 0;
  let inFlight = 0;
  const worker = async (w) => {
    for (let i = 0; !killed; i++) {
      inFlight++;
      try {
        const res = await fetch(`${emu.url}${v2}/profiles`, {
          method: 'POST', body: JSON.stringify({ events: [page(`/w${w}/${i}`), identify(null, { worker: w, i })] }),
        });
        if (res.status === 200) {
          const body = await res.json();
          acknowledged.set(body.data.profile.id, { worker: w, i });
        }
      } catch {
        // the process died under this request
      } finally {
        inFlight--;
      }
      if (acknowledged.size >= 300 && !killed) {
        killed = true;
        inFlightAtKill = inFlight;
        emu.child.kill('SIGKILL');
      }
    }
  };
  await Promise.all(Array.from({ length: 16 }, (_, w) => worker(w)));
  assert.equal(await emu.stop(), null, 'killed, not exited');
  assert.ok(acknowledged.size >= 300);
  assert.ok(inFlightAtKill > 0, 'requests were in flight at the kill');

  // A torn last line, as a kill in the middle of write(2) could leave.
  const log = readdirSync(data).filter((f) => /^log-\d+\.jsonl$/.test(f)).sort().at(-1);
  appendFileSync(join(data, log), '1a2b3c4d {"k":"p","o":"persist","e":"main","r":{"id":"torn');

  const restarted = await startEmulator(['--data', data]);
  try {
    assert.match(restarted.output(), /dropped 1 unreadable line\(s\)/);
    const { profiles } = (await call(restarted.url, 'GET', '/_emulator/profiles?organization=persist')).json;
    const stored = new Map(profiles.map((p) => [p.id, p.traits]));
    assert.ok(stored.size >= acknowledged.size, `${stored.size} stored, ${acknowledged.size} acknowledged`);
    for (const [id, traits] of acknowledged) assert.deepEqual(stored.get(id), traits, id);
    const sample = [...acknowledged.keys()].slice(-5);
    for (const id of sample) assert.equal((await call(restarted.url, 'GET', `${v2}/profiles/${id}`)).status, 200);
    assert.equal((await call(restarted.url, 'POST', `${v2}/profiles`, { events: [page('/after')] })).status, 200, 'and it takes new writes');
  } finally {
    assert.equal(await restarted.stop(), 0);
  }
  const third = await startEmulator(['--data', data]);
  try {
    assert.doesNotMatch(third.output(), /dropped/, 'compaction at start left a clean log');
    const { profiles } = (await call(third.url, 'GET', '/_emulator/profiles?organization=persist')).json;
    assert.ok(profiles.length >= acknowledged.size + 1);
  } finally {
    assert.equal(await third.stop(), 0);
  }
});

test('a corrupt snapshot stops the start with ctfl-opt/E103 instead of silently starting empty', async () => {
  const data = join(root, 'corrupt');
  const emu = await startEmulator(['--data', data]);
  await call(emu.url, 'POST', `${v2}/profiles`, { events: [page('/')] });
  assert.equal(await emu.stop(), 0);
  writeFileSync(join(data, 'snapshot.json'), '{"generation": 1, "store": ');
  await assert.rejects(startEmulator(['--data', data]), /ctfl-opt\/E103: .*snapshot\.json is unreadable .*move it away/);
});
