// Contract: the reference client (@ninetailed/experience.js-shared's NinetailedApiClient) talks to
// the emulator with its own URLs, headers and bodies, and its own zod schemas accept every answer.
// Its bucketing helpers agree with the emulator's selection.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import {
  NinetailedApiClient, buildPageEvent, buildIdentifyEvent, buildTrackEvent, buildComponentViewEvent,
  getDistributionRandom, getTrafficRandom, selectDistribution, logger,
} from '@ninetailed/experience.js-shared';
import { startEmulator } from '../helpers/emulator.mjs';

const TEASER = 'expTeaserAbTest0000001';
logger.removeSinks?.();

let emu;
let client;
const org = `contract-${process.pid}`;
before(async () => {
  emu = await startEmulator();
  client = new NinetailedApiClient({ clientId: org, environment: 'main', url: emu.url, fetchImpl: fetch });
});
after(async () => { assert.equal(await emu.stop(), 0); });

const ctx = (path = '/pricing?utm_campaign=spring') => ({
  url: `https://site.example${path}`, referrer: '', locale: 'en-US', userAgent: 'node-test', document: { title: 'Pricing' },
});
const base = () => ({ messageId: randomUUID(), timestamp: Date.now(), ctx: ctx() });
const requests = async () => (await (await fetch(`${emu.url}/_emulator/requests?organization=${org}`)).json()).requests;

test('createProfile → updateProfile → getProfile through the reference client', async () => {
  const created = await client.createProfile({ events: [buildPageEvent({ ...base(), properties: {} })] },
    { enabledFeatures: ['location'], locale: 'de-DE', ip: '203.0.113.7' });
  assert.equal(created.profile.location.city, 'München');
  assert.deepEqual(created.profile.audiences, ['audPricingVisitors0001']);
  assert.ok(created.experiences.some((e) => e.experienceId === 'expHeroPricing00000001' && e.variantIndex === 1));
  assert.equal(created.changes[0].key, 'hero-cta');

  const id = created.profile.id;
  const updated = await client.updateProfile({ profileId: id, events: [
    buildIdentifyEvent({ ...base(), userId: 'contract-user', traits: { firstname: 'Ada' } }),
    buildTrackEvent({ ...base(), event: 'signup', properties: { plan: 'pro' } }),
    buildComponentViewEvent({ ...base(), componentType: 'Entry', componentId: 'teaserBaseline00000001', experienceId: TEASER, variantIndex: 0, viewId: randomUUID(), viewDurationMs: 1200 }),
  ] }, { enabledFeatures: ['location'], ip: '203.0.113.7' });
  assert.equal(updated.profile.id, id);
  assert.deepEqual(updated.profile.traits, { firstname: 'Ada' });
  assert.equal(updated.experiences.find((e) => e.experienceId === TEASER).variantIndex, 0, 'the view made variant 0 sticky');

  const read = await client.getProfile(id, { locale: 'de-DE' });
  assert.equal(read.profile.id, id);
  assert.equal(read.profile.location.country, 'Deutschland');

  // Identify events with traits only: `userId: undefined` (the reference SDK's type asks for the field, the event then has none).
  const pre = await client.updateProfile({ profileId: id, events: [buildIdentifyEvent({ ...base(), userId: undefined, traits: { firstname: 'Eve' } })] }, { preflight: true });
  assert.equal(pre.profile.traits.firstname, 'Eve');
  assert.equal((await client.getProfile(id)).profile.traits.firstname, 'Ada');

  const seen = await requests();
  assert.deepEqual(seen.map((r) => [r.method, r.path.replace(id, '{id}'), r.contentType, r.status]), [
    ['POST', `/v2/organizations/${org}/environments/main/profiles`, 'text/plain', 200],
    ['POST', `/v2/organizations/${org}/environments/main/profiles/{id}`, 'text/plain', 200],
    ['GET', `/v2/organizations/${org}/environments/main/profiles/{id}`, null, 200],
    ['POST', `/v2/organizations/${org}/environments/main/profiles/{id}`, 'text/plain', 200],
    ['GET', `/v2/organizations/${org}/environments/main/profiles/{id}`, null, 200],
  ]);
  assert.deepEqual(seen[0].query, { locale: 'de-DE' });
  assert.deepEqual(seen[0].body.options, { features: ['location'] });
  assert.deepEqual(seen[3].query, { type: 'preflight' });
});

test('upsertManyProfiles (application/json batch) is accepted and parsed', async () => {
  const profiles = await client.upsertManyProfiles({ events: [
    { ...buildPageEvent({ ...base(), properties: {} }), anonymousId: 'batch-1' },
    { ...buildIdentifyEvent({ ...base(), userId: undefined, traits: { plan: 'pro' } }), anonymousId: 'batch-2' },
  ] }, { enabledFeatures: ['ip-enrichment'] });
  assert.deepEqual(profiles.map((p) => p.id), ['batch-1', 'batch-2']);
  assert.equal(profiles[0].location.countryCode, 'DE');
  const last = (await requests()).at(-1);
  assert.equal(last.contentType, 'application/json');
  assert.equal(last.path, `/v2/organizations/${org}/environments/main/events`);
});

// NinetailedApiClient 7.26 passes one fetch promise to async-retry, so its "retry" re-reads the
// same 503 response instead of sending a new request: the error surfaces after one request.
test('a 503 fault reaches the reference client as an error (its retry does not re-send)', async () => {
  await fetch(`${emu.url}/_emulator/faults`, { method: 'POST', body: JSON.stringify({ organization: org, count: 1, status: 503 }) });
  const before = (await requests()).length;
  await assert.rejects(client.createProfile({ events: [buildPageEvent({ ...base(), properties: {} })] }), /\[503\] Service Unavailable/);
  const after = (await requests()).slice(before);
  assert.deepEqual(after.map((r) => r.status), [503]);
  assert.ok((await client.createProfile({ events: [buildPageEvent({ ...base(), properties: {} })] })).profile.id, 'the fault is used up');
});

test("the emulator's variant choice equals the reference SDK's bucketing", async () => {
  /** @type {import('@ninetailed/experience.js-shared').ExperienceConfiguration} */
  const teaser = { id: TEASER, type: 'nt_experiment', components: [], trafficAllocation: 1, distribution: [{ index: 0, start: 0, end: 0.5 }, { index: 1, start: 0.5, end: 1 }] };
  const counts = [0, 0];
  for (let i = 0; i < 40; i++) {
    const data = await client.createProfile({ events: [buildPageEvent({ ...base(), properties: {} })] });
    const expected = selectDistribution({ experience: teaser, profile: data.profile }).index;
    assert.ok(getTrafficRandom(data.profile, teaser) < 1);
    assert.ok(getDistributionRandom(data.profile, teaser) >= 0);
    const got = data.experiences.find((e) => e.experienceId === TEASER).variantIndex;
    assert.equal(got, expected, data.profile.stableId);
    counts[got]++;
  }
  assert.ok(counts[0] > 5 && counts[1] > 5, `both variants are used: ${counts}`);
});
