// Unit level, against the emulator's sources (its internals: not exported by ./emulator): bucketing, selection, rule operators and rule
// shapes, the space loader's errors and unevaluable rules, and the data-log reader.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { demoSpace } from '../helpers/emulator.mjs';
import { importTsAll } from '../helpers/bundle-ts.mjs';
import { composed, parseMessage } from '../helpers/messages.mjs';

const emulator = await importTsAll(
  'src/emulator/space.ts', 'src/core/bucketing.ts', 'src/emulator/selection.ts', 'src/emulator/audiences.ts',
  'src/emulator/persistence.ts', 'src/emulator/dashboard.ts', 'src/emulator/server.ts',
);
const { parseSpace, cumulativeRanges, pickRange, selectOptimizations, distributionRoll, trafficRoll, testCondition, parseRules, ruleMatches, rulesMatch, decodeLog, encodeLine, escapeHtml, matchRoute } = emulator;
const space = parseSpace(JSON.parse(readFileSync(demoSpace, 'utf8')), 'demo');

test('distribution becomes cumulative ranges; the first range containing the roll wins', () => {
  assert.deepEqual(cumulativeRanges([0.5, 0.5]), [{ index: 0, start: 0, end: 0.5 }, { index: 1, start: 0.5, end: 1 }]);
  const ranges = cumulativeRanges([0.25, 0.25, 0.5]);
  assert.equal(pickRange(ranges, 0), 0);
  assert.equal(pickRange(ranges, 0.25), 0, 'boundaries belong to the earlier range');
  assert.equal(pickRange(ranges, 0.2500001), 1);
  assert.equal(pickRange(ranges, 1), 2);
  assert.equal(pickRange(cumulativeRanges([0.2]), 0.9), 0, 'no range → baseline');
});

test('rolls are murmur3 of the documented strings and selection is deterministic', () => {
  assert.equal(trafficRoll('exp', 'stable'), trafficRoll('exp', 'stable'));
  assert.notEqual(distributionRoll('exp', 'stable'), trafficRoll('exp', 'stable'));
  const subject = { stableId: 'visitor-1', audiences: [], sticky: {} };
  const a = selectOptimizations(space, subject);
  assert.deepEqual(selectOptimizations(space, subject), a);
  const teaser = a.experiences.find((e) => e.experienceId === 'expTeaserAbTest0000001');
  assert.equal(teaser.variantIndex, distributionRoll('expTeaserAbTest0000001', 'visitor-1') <= 0.5 ? 0 : 1);
  assert.deepEqual(a.experiences.map((e) => e.experienceId), ['expTeaserAbTest0000001'], 'audience experiences need their audience');
});

test('audiences, hidden variants, sticky overrides and changes', () => {
  const result = selectOptimizations(space, { stableId: 'v2', audiences: ['audReturning0000000001', 'audPricingVisitors0001'], sticky: { expTeaserAbTest0000001: 1 } });
  assert.deepEqual(result.experiences, [
    { experienceId: 'expHeroPricing00000001', variantIndex: 1, variants: { heroBaseline0000000001: 'heroVariant00000000001' }, sticky: false },
    { experienceId: 'expTeaserAbTest0000001', variantIndex: 1, variants: { teaserBaseline00000001: 'teaserVariant000000001' }, sticky: true },
    { experienceId: 'expPromoHidden00000001', variantIndex: 1, variants: { promoBanner00000000001: '' }, sticky: false },
  ]);
  assert.deepEqual(result.changes, [{ key: 'hero-cta', type: 'Variable', value: 'Buy now', meta: { experienceId: 'expTeaserAbTest0000001', variantIndex: 1 } }]);
});

test('condition operators', () => {
  const cases = [
    ['/pricing', 'equal', '/pricing', true], ['/pricing', 'equal', '/Pricing', false], ['/a', 'notEqual', '/b', true],
    ['/en/pricing', 'contains', '/pricing', true], ['/en', 'notContains', 'x', true], ['/docs/a', 'startsWith', '/docs', true],
    ['file.pdf', 'endsWith', '.pdf', true], ['/docs/42', 'regex', '^/docs/\\d+$', true], ['x', 'regex', '(', false],
    ['', 'exists', undefined, false], [undefined, 'notExists', undefined, true], [0, 'exists', undefined, true],
    [30, 'greaterThan', 17, true], ['5', 'lessThan', 10, true], [30, 'equal', 30, true], [30, 'equal', '30', true],
    [17, 'greaterThan', '17', false], [17, 'greaterThanInclusive', '17', true], ['17', 'lessThanInclusive', 17, true],
    [18, 'lessThanInclusive', 17, false], ['', 'greaterThanInclusive', 0, false], ['abc', 'lessThan', 5, false],
    [true, 'equal', true, true], [{ a: 1 }, 'equal', '[object Object]', false], ['a', 'sortOf', 'a', false],
    [undefined, 'notEqual', 'spring', true], [undefined, 'contains', 'x', false],
    ['', 'equal', '*', true], ['anything', 'equal', '*', true], [undefined, 'equal', '*', false], [undefined, 'notEqual', '*', true],
    ['a*b', 'contains', '*', true], ['ab', 'contains', '*', false],
    [['gold', 'beta'], 'contains', 'beta', true], [['gold'], 'notContains', 'beta', true], [['gold'], 'startsWith', 'g', false],
  ];
  for (const [actual, op, expected, result] of cases) assert.equal(testCondition(actual, op, expected), result, `${JSON.stringify(actual)} ${op} ${JSON.stringify(expected)}`);
});

test('rules as the personalization app stores them: the shapes of the real space parse and evaluate', () => {
  const subject = (over = {}) => ({ traits: {}, location: {}, isReturningVisitor: false, pageCounts: {}, trackCounts: {}, ...over });
  const parseRule = (rule) => {
    const parsed = parseRules({ any: [{ all: [rule] }] });
    assert.deepEqual(parsed.problems, []);
    return parsed.any[0][0];
  };
  const identifyRule = parseRule({ key: 'companysize', type: 'identify', count: 1, value: '1-50', operator: 'equal', conditions: [] });
  assert.equal(ruleMatches(identifyRule, subject({ traits: { companysize: '1-50' } })), true);
  assert.equal(ruleMatches(identifyRule, subject({ traits: { companysize: '51-200' } })), false);
  const locationRule = parseRule({ type: 'location', count: '1', key: 'continent', operator: 'equal', value: 'NA', conditions: [] });
  assert.equal(ruleMatches(locationRule, subject({ location: { continent: 'NA' } })), true);
  assert.equal(ruleMatches(locationRule, subject({ location: {} })), false);
  const newVisitor = parseRule({ key: '', type: 'isReturningVisitor', count: '1', value: false, operator: 'equal', conditions: [] });
  assert.equal(ruleMatches(newVisitor, subject()), true);
  assert.equal(ruleMatches(newVisitor, subject({ isReturningVisitor: true })), false);
  const track = parseRule({ key: '', type: 'track', value: 'registered', operator: 'greaterThanInclusive', count: '1' });
  assert.equal(ruleMatches(track, subject({ trackCounts: { registered: 1 } })), true);
  assert.equal(ruleMatches(track, subject({ trackCounts: { signup: 4 } })), false);
  const pageRule = parseRule({ type: 'page', count: '1', value: '', operator: 'greaterThanInclusive', conditions: [{
    key: { id: 'context_page_query', key: 'context_page_query', label: 'Query Paramenter', value: 'social', useOnce: false,
      category: { name: 'query_parameter', type: 'string', label: 'Query Parameter' } }, value: 'tiktok', operator: 'equal' }] });
  assert.equal(pageRule.type, 'page');
  assert.deepEqual(pageRule.conditions, [{ field: { kind: 'query', name: 'social' }, operator: 'equal', value: 'tiktok' }]);
  assert.equal(ruleMatches(pageRule, subject({ pageCounts: { [pageRule.key]: 1 } })), true);
  assert.equal(ruleMatches(pageRule, subject()), false);
  const everyPage = parseRule({ type: 'page', key: '', value: '', operator: 'greaterThanInclusive', count: '2', conditions: [] });
  assert.equal(ruleMatches(everyPage, subject({ pageCounts: { [everyPage.key]: 2 } })), true, 'no conditions: every page view counts');
  // A test put in key/value with no conditions is not the app's shape: counting every page would match too much.
  const misplaced = parseRules({ any: [{ all: [{ type: 'page', key: 'context_page_path', value: '/pricing', operator: 'greaterThanInclusive', count: '1', conditions: [] }] }] });
  assert.equal(misplaced.problems.length, 1);
  assert.match(misplaced.problems[0], /key or value but no conditions/);
  const numericCount = parseRule({ type: 'track', key: '', value: 'x', operator: 'greaterThan', count: 2 });
  assert.equal(ruleMatches(numericCount, subject({ trackCounts: { x: 2 } })), false);
  assert.equal(ruleMatches(numericCount, subject({ trackCounts: { x: 3 } })), true);
});

test('an invalid space names the entry and field (ctfl-opt/E102); bad rules are listed, not fatal (ctfl-opt/E105)', () => {
  assert.throws(() => parseSpace({ entries: 'nope' }, 'x.json'), (/** @type {{ name: string, code: string, exitCode: number, message: string }} */ e) =>
    e.name === 'CliError' && e.code === 'E102' && e.exitCode === 2 && parseMessage(e.message).detail === 'x.json: entries: expected array, received string');
  const audienceEntry = (id, fields) => ({ sys: { id, contentType: { sys: { id: 'nt_audience' } } }, fields });
  const bad = parseSpace({ locales: [{ code: 'en-US', default: true }], entries: [
    audienceEntry('aud1', { nt_rules: { 'en-US': { all: [] } } }),
    audienceEntry('aud2', { nt_rules: { 'en-US': { any: [{ all: [{ type: 'moon' }] }] } } }),
    audienceEntry('aud3', { nt_name: { 'en-US': 'No rules' } }),
    audienceEntry('aud4', { nt_rules: { 'en-US': { any: [{ all: [{ type: 'identify', key: 'plan', operator: 'equal', value: 'pro', count: 1, conditions: [] }] }] } } }),
  ] }, 's.json');
  const shape = '(expected {"any":[{"all":[rule, …]}, …]}); the audience never matches';
  const moon = 'nt_rules.any[0].all[0]: rule type "moon" is not one the personalization app writes (page, track, identify, location, isReturningVisitor); the rule never matches';
  assert.deepEqual(bad.audiences.map((a) => [a.id, a.unevaluable]), [
    ['aud1', [{ code: 'E105', why: `nt_rules.any is nothing ${shape}` }]],
    ['aud2', [{ code: 'E105', why: moon }]],
    ['aud3', [{ code: 'E105', why: `nt_rules is missing ${shape}` }]],
    ['aud4', []],
  ]);
  assert.deepEqual(bad.warnings, [
    composed('E105', `audience aud1 ("aud1", entries[0]): nt_rules.any is nothing ${shape}`),
    composed('E105', `audience aud2 ("aud2", entries[1]): ${moon}`),
    composed('E105', `audience aud3 ("No rules", entries[2]): nt_rules is missing ${shape}`),
  ]);
  const subject = { traits: { plan: 'pro' }, location: {}, isReturningVisitor: false, pageCounts: {}, trackCounts: {} };
  assert.deepEqual(bad.audiences.filter((a) => rulesMatch(a.rules, subject)).map((a) => a.id), ['aud4']);
});

test('demo/space.json: every audience rule can be evaluated', () => {
  assert.deepEqual(space.warnings, []);
  assert.deepEqual(space.audiences.map((a) => [a.id, a.unevaluable]), [['audPricingVisitors0001', []], ['audReturning0000000001', []]]);
});

test('the data-log reader drops a torn last line and lines with a bad checksum', () => {
  const a = { k: 'r', o: 'a' };
  const b = { k: 'r', o: 'b' };
  const good = encodeLine(a) + encodeLine(b);
  assert.deepEqual(decodeLog(good), { records: [a, b], dropped: 0 });
  assert.deepEqual(decodeLog(good + encodeLine(a).slice(0, 12)), { records: [a, b], dropped: 1 });
  const flipped = encodeLine(a).replace('"a"', '"z"') + encodeLine(b);
  assert.deepEqual(decodeLog(flipped), { records: [b], dropped: 1 });
});

test('route matching and HTML escaping', () => {
  assert.deepEqual(matchRoute('GET', '/v2/organizations/o/environments/e/profiles/p%2D1'),
    { kind: 'op', op: 'read', api: 'experience', profileId: 'p-1', org: 'o', env: 'e' });
  assert.equal(matchRoute('PUT', '/v2/organizations/o/environments/e/profiles').kind, 'method');
  assert.equal(matchRoute('POST', '/v2/organizations/o/profiles').kind, 'none');
  assert.equal(escapeHtml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
});
