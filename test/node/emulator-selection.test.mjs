// Unit level, against the built dist/emulator.mjs: bucketing, selection, rule operators, the
// space loader's errors and the data-log reader.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { root, demoSpace } from '../helpers/emulator.mjs';

const emulator = await import(pathToFileURL(join(root, 'dist', 'emulator.mjs')).href);
const { parseSpace, cumulativeRanges, pickRange, selectOptimizations, distributionRoll, trafficRoll, testCondition, decodeLog, encodeLine, escapeHtml, matchRoute } = emulator;
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
    [true, 'equal', true, true], [{ a: 1 }, 'equal', '[object Object]', false], ['a', 'sortOf', 'a', false],
    [undefined, 'notEqual', 'spring', true], [undefined, 'contains', 'x', false],
  ];
  for (const [actual, op, expected, result] of cases) assert.equal(testCondition(actual, op, expected), result, `${JSON.stringify(actual)} ${op} ${JSON.stringify(expected)}`);
});

test('an invalid space names the entry and field (ctfl-opt/E102)', () => {
  assert.throws(() => parseSpace({ entries: 'nope' }, 'x.json'), /^Error: ctfl-opt\/E102: x\.json: entries: expected array, received string/);
  assert.throws(() => parseSpace({ locales: [{ code: 'en-US', default: true }], entries: [
    { sys: { id: 'aud1', contentType: { sys: { id: 'nt_audience' } } }, fields: { nt_rules: { 'en-US': { all: [] } } } }] }, 's.json'),
  /ctfl-opt\/E102: s\.json: entries\[0\]\.fields\.nt_rules\.en-US\.any: expected array, received nothing/);
  const lenient = parseSpace({ entries: [{ sys: { id: 'a', contentType: { sys: { id: 'nt_audience' } } },
    fields: { nt_rules: { 'en-US': { any: [{ all: [{ type: 'moon' }] }] } } } }] }, 'l.json');
  assert.equal(lenient.audiences.length, 1);
  assert.match(lenient.warnings[0], /rule type "moon" is unknown/);
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
