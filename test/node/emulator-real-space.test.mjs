// A real exported space (../shared/fixtures/contentful-space-easy-hr.json: the personalization app's
// rules, 15 audiences, 14 experiences) in a real `ctfl-optimization serve` process. Visitors go
// through every audience kind the space uses over the HTTP API, with events in the wire format; what
// they should see is worked out here from the space file's own nt_audience / nt_experience entries.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { root, startEmulator } from '../helpers/emulator.mjs';
import { importTs } from '../helpers/bundle-ts.mjs';

const fixture = join(root, '..', 'shared', 'fixtures', 'contentful-space-easy-hr.json');
const skip = existsSync(fixture) ? false
  : `the real space ${fixture} is not there (a clone without ../shared): this suite did not run`;
if (skip) console.log(`skipped: ${skip}`);

// ---------------------------------------------------------------------------------------------
// The space, read straight from the export

const space = skip ? { entries: [], locales: [] } : JSON.parse(readFileSync(fixture, 'utf8'));
const locale = (space.locales.find((l) => l.default) ?? space.locales[0])?.code;
const f = (entry, name) => entry.fields?.[name]?.[locale];
const ofType = (type) => space.entries.filter((e) => e.sys.contentType?.sys.id === type);
const audienceEntries = ofType('nt_audience');
const audienceIdOfEntry = new Map(audienceEntries.map((e) => [e.sys.id, f(e, 'nt_audience_id') ?? e.sys.id]));
const experiences = ofType('nt_experience').map((e) => ({
  id: e.sys.id,
  name: f(e, 'nt_name'),
  audienceId: f(e, 'nt_audience') ? audienceIdOfEntry.get(f(e, 'nt_audience').sys.id) : null,
  config: f(e, 'nt_config'),
}));
/** An audience's id (its nt_audience_id) by its name in the space. */
function aud(name) {
  const entry = audienceEntries.find((e) => f(e, 'nt_name') === name);
  assert.ok(entry, `the space has an audience named ${name}`);
  return f(entry, 'nt_audience_id') ?? entry.sys.id;
}

// The reference bucketing, from the sources (internal: not exported by ./emulator).
const { trafficRoll, distributionRoll, cumulativeRanges, pickRange } = skip ? {} : await importTs('src/core/bucketing.ts');

/** What the Experience API must answer for a profile in `audiences`, from each experience's nt_config. */
function expectedFor(stableId, audiences) {
  const selected = [];
  const changes = [];
  for (const exp of experiences) {
    if (exp.audienceId !== null && !audiences.includes(exp.audienceId)) continue;
    if (!(exp.config.traffic > trafficRoll(exp.id, stableId))) continue;
    const variantIndex = pickRange(cumulativeRanges(exp.config.distribution), distributionRoll(exp.id, stableId));
    const variants = {};
    for (const c of exp.config.components) {
      if (c.type === 'InlineVariable') {
        changes.push({ key: c.key, type: 'Variable', value: (variantIndex === 0 ? c.baseline : c.variants[variantIndex - 1] ?? c.baseline).value,
          meta: { experienceId: exp.id, variantIndex } });
        continue;
      }
      const chosen = variantIndex === 0 ? c.baseline : (c.variants[variantIndex - 1] ?? c.baseline);
      variants[c.baseline.id] = chosen.hidden ? '' : chosen.id;
    }
    selected.push({ experienceId: exp.id, variantIndex, variants, sticky: exp.config.sticky === true });
  }
  return { experiences: selected, changes };
}

// ---------------------------------------------------------------------------------------------
// The emulator and wire-format events

let emu;
before(async () => { if (!skip) emu = await startEmulator([], { space: fixture }); });
after(async () => {
  if (!emu) return;
  assert.equal(await emu.stop(), 0);
  assert.doesNotMatch(emu.output(), /unexpected error/);
});

let n = 0;
const org = () => `real-space-${process.pid}-${++n}`;
const SITE = 'https://easy-hr.example';
function common() {
  const ts = new Date().toISOString();
  return {
    channel: 'web', messageId: randomUUID(), originalTimestamp: ts, sentAt: ts, timestamp: ts,
    context: { app: { name: 'easy-hr', version: '1.0.0' }, gdpr: { isConsentGiven: true }, library: { name: 'test', version: '0' },
      locale: 'en-US', userAgent: 'node:test' },
  };
}
function page(path, { query = {}, referrer = '' } = {}) {
  const search = Object.keys(query).length ? `?${new URLSearchParams(query)}` : '';
  const p = { path, query, referrer, search, url: `${SITE}${path}${search}` };
  const event = { ...common(), type: 'page', properties: { ...p, title: 'Easy HR' } };
  event.context.page = p;
  const campaign = Object.fromEntries(Object.entries(query).filter(([k]) => k.startsWith('utm_')).map(([k, v]) => [k === 'utm_campaign' ? 'name' : k.slice(4), v]));
  if (Object.keys(campaign).length) event.context.campaign = campaign;
  return event;
}
const identify = (userId, traits) => ({ ...common(), type: 'identify', userId, traits });
const track = (event) => ({ ...common(), type: 'track', event, properties: {} });

async function send(organization, profileId, events, /** @type {{ ip?: string, features?: string[] }} */ { ip, features } = {}) {
  const path = `/v2/organizations/${organization}/environments/main/profiles${profileId ? `/${profileId}` : ''}`;
  const res = await fetch(emu.url + path, {
    method: 'POST',
    headers: { 'Content-Type': 'text/plain', ...(ip ? { 'X-Force-IP': ip } : {}) },
    body: JSON.stringify({ events, ...(features ? { options: { features } } : {}) }),
  });
  const body = await res.json();
  assert.equal(res.status, 200, JSON.stringify(body));
  return body.data;
}

/** The profile is in exactly `audiences` and sees exactly what the space's nt_config gives them. */
function assertSees(data, audiences, label) {
  assert.deepEqual([...data.profile.audiences].sort(), [...audiences].sort(), `${label}: audiences`);
  const expected = expectedFor(data.profile.stableId, audiences);
  assert.deepEqual(data.experiences, expected.experiences, `${label}: selected experiences and variants`);
  assert.deepEqual(data.changes, expected.changes, `${label}: flags (changes)`);
}
const selected = (data, name) => data.experiences.find((e) => e.experienceId === experiences.find((x) => x.name === name).id);

// Every visitor sends a page view first and is new: these two audiences are always there.
const BASE = () => [aud('All Visitors'), aud('New Visitors')];

// ---------------------------------------------------------------------------------------------

test('the real space loads with every audience rule evaluable (no ctfl-opt/E105, no warnings)', { skip }, () => {
  assert.equal(audienceEntries.length, 15);
  assert.equal(experiences.length, 14);
  assert.doesNotMatch(emu.output(), /ctfl-opt\/E105|warning:/);
});

test('any page: every visitor is in All Visitors and New Visitors and sees the A/B tests and the greeting', { skip }, async () => {
  const data = await send(org(), null, [page('/')]);
  assertSees(data, BASE(), 'home page');
  assert.deepEqual(selected(data, '[AB Test] No heroes').variants, {
    '4WFNEIlY8bzmZcjmjCCUOm': '', '3hEE5YUWF8xJg6XIH1xafP': '', '4mahmSaVUyMjv25Uk8sFZ4': '', '7yMEGUwVFS2vssCPaTBmoR': '',
  }, 'hidden variants are empty');
  assert.deepEqual(selected(data, '[All Visitors] Greet By Location'),
    { experienceId: '6ZbWjihD33P0ZQDi1NBPNj', variantIndex: 1, variants: { '74PjP6eFEOxD66R88LrL76': '2ow3EkPI5jKevWoTT2BVG8' }, sticky: false });
  const identifyOnly = await send(org(), null, [identify('u-no-page', { lifecyclestage: 'none' })]);
  assertSees(identifyOnly, [aud('New Visitors')], 'no page view yet: not in All Visitors');
});

test('query parameter and referrer: ?social=tiktok or a tiktok.com referrer make a TikTok Visitor', { skip }, async () => {
  const o = org();
  const viaQuery = await send(o, null, [page('/', { query: { social: 'tiktok' } })]);
  assertSees(viaQuery, [...BASE(), aud('TikTok Visitor')], '?social=tiktok');
  assert.deepEqual(selected(viaQuery, '[Campaign] TikTok'), {
    experienceId: '1z8mHTv2Z57dJcD6CPwg7R', variantIndex: 1, sticky: false,
    variants: { '4WFNEIlY8bzmZcjmjCCUOm': '1mL1HaDoThz2hjoMEzHaSW', '6Bh935ULApiwO3VseuWeYR': '6uBdnjT74tYLRFzHgHYT02', '74PjP6eFEOxD66R88LrL76': '2KceJZcs9aDc6Axo8Kmbtz' },
  });
  const viaReferrer = await send(o, null, [page('/', { referrer: 'https://www.tiktok.com/@easyhr/video/1' })]);
  assertSees(viaReferrer, [...BASE(), aud('TikTok Visitor')], 'tiktok.com referrer');
  const neither = await send(o, null, [page('/', { query: { social: 'linkedin' }, referrer: 'https://www.linkedin.com/' })]);
  assertSees(neither, BASE(), 'another network');
});

test('URL contains: a pricing page view makes Pricing Intent, and it lasts', { skip }, async () => {
  const o = org();
  const home = await send(o, null, [page('/')]);
  assertSees(home, BASE(), 'home');
  const pricing = await send(o, home.profile.id, [page('/pricing', { query: { plan: 'growth' } })]);
  assertSees(pricing, [...BASE(), aud('Pricing Intent')], 'pricing page');
  assert.equal(selected(pricing, '[Behaviour] Interest in Pricing').variants['6eKwKIjejoUoK0i0dyVJHP'], '7GGWezhVzT0bfINuF5o6pD');
  const later = await send(o, home.profile.id, [page('/about')]);
  assertSees(later, [...BASE(), aud('Pricing Intent')], 'one pricing view in the lifetime is enough');
});

test('traits: lifecycle stage, company size and pricing plan audiences follow identify', { skip }, async () => {
  const o = org();
  /** @type {Array<[traits: Record<string, string>, extra: string[]]>} */
  const cases = [
    [{ lifecyclestage: 'lead' }, [aud('Lifecycle Stage: Lead')]],
    [{ lifecyclestage: 'opportunity' }, [aud('Lifecycle Stage: Opportunity')]],
    [{ lifecyclestage: 'customer', pricingplan: 'lite' }, [aud('Lifecycle Stage: Customer'), aud('Lite Plan Customers')]],
    [{ companysize: '51-200' }, [aud('Startup')]],
    [{ companysize: '1-50' }, [aud('Startup')]],
    [{ companysize: '1001-2000' }, [aud('Enterprise')]],
    [{ companysize: 'more_than_2000' }, [aud('Enterprise')]],
    [{ companysize: '201-1000', lifecyclestage: 'Lead' }, []],
  ];
  for (const [traits, extra] of cases) {
    const data = await send(o, null, [page('/'), identify(`u-${randomUUID()}`, traits)]);
    assertSees(data, [...BASE(), ...extra], JSON.stringify(traits));
  }
  // The nt_audience_id, not the entry id, is what the profile carries.
  assert.equal(aud('Lifecycle Stage: Lead'), '4bfygTDTGGzYjS27gzZf4O');

  const p = await send(o, null, [page('/'), identify('u-moves', { lifecyclestage: 'opportunity' })]);
  assert.equal(selected(p, '[Lead Stage] Opportunity').variants['74PjP6eFEOxD66R88LrL76'], 'oaL6Kr2nBZ3FW7Fh5E01T');
  const moved = await send(o, p.profile.id, [identify('u-moves', { lifecyclestage: 'customer' })]);
  assertSees(moved, [...BASE(), aud('Lifecycle Stage: Customer')], 'the stage changed');
  assert.equal(selected(moved, '[Lead Stage] Opportunity'), undefined);
});

test('continent via X-Force-IP: Europe, North America and Asia visitors', { skip }, async () => {
  const o = org();
  const features = ['ip-enrichment', 'location'];
  const eu = await send(o, null, [page('/')], { ip: '203.0.113.7', features });
  assert.equal(eu.profile.location.continent, 'EU');
  assertSees(eu, [...BASE(), aud('Europe Visitors')], 'Munich');
  assert.equal(selected(eu, '[Location] Europe').variants['4WFNEIlY8bzmZcjmjCCUOm'], '6v6IuRsAR2AZoAnISXH8oP');
  const na = await send(o, null, [page('/')], { ip: '198.51.100.23', features });
  assertSees(na, [...BASE(), aud('North America Visitors')], 'New York');
  assert.deepEqual(selected(na, '[Location] North America').variants,
    { '4WFNEIlY8bzmZcjmjCCUOm': '4FdPCWWD58oukIl67f2Nkj', '577YVyImM1CsOEIQR4YIQS': '22OpsJaPzrmr4dB7ozuic3' });
  const as = await send(o, null, [page('/')], { ip: '192.0.2.10', features });
  assertSees(as, [...BASE(), aud('Asia Visitors')], 'Tokyo');
  assert.equal(aud('Asia Visitors'), '3rXCM6noyMIXkjqujPFrIX', 'its nt_audience_id differs from its entry id');
  const unknown = await send(o, null, [page('/')], { ip: '192.0.2.99', features });
  assertSees(unknown, BASE(), 'an address with no location');
});

test('track count: one "registered" event makes Has Registered', { skip }, async () => {
  const o = org();
  const before = await send(o, null, [page('/signup'), track('signup_started')]);
  assertSees(before, BASE(), 'another event name');
  const registered = await send(o, before.profile.id, [track('registered')]);
  assertSees(registered, [...BASE(), aud('Has Registered')], 'registered once');
  assert.equal(selected(registered, '[Behaviour] New Registration').variants['4WFNEIlY8bzmZcjmjCCUOm'], 'z6ErFxDOCoCBEmxMBvVek');
});

// Moves the emulator clock, so it goes last.
test('returning visitor: a second session (after 30 minutes idle) leaves New Visitors for Returning Visitor', { skip }, async () => {
  const o = org();
  const first = await send(o, null, [page('/')]);
  assertSees(first, BASE(), 'first session');
  const res = await fetch(`${emu.url}/_emulator/clock`, { method: 'POST', body: JSON.stringify({ advanceMs: 31 * 60 * 1000 }) });
  assert.equal(res.status, 200);
  const second = await send(o, first.profile.id, [page('/')]);
  assert.equal(second.profile.session.isReturningVisitor, true);
  assertSees(second, [aud('All Visitors'), aud('Returning Visitor')], 'second session');
  assert.deepEqual(selected(second, '[Behaviour] Returning Visitors').variants, { '74PjP6eFEOxD66R88LrL76': '6EkBsBtO4AGn43u0SOq4Sz' });
});
