// The server entry's pure helpers, fed hostile values: the cookie a visitor controls, traits holding
// markup, ids holding quotes. Runs against the built dist/server.mjs (node scripts/build.mjs first).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  ANONYMOUS_ID_COOKIE, HANDOFF_ELEMENT_ID, anonymousIdCookie, clearAnonymousIdCookie, readAnonymousId, readCookie,
  renderEntry, renderOptimizedEntry, serializeOptimizationData, resolveOptimizedEntry, getMergeTagValue, getFlag,
} from '@ctfl/optimization-elements/server'; // the package's own ./server export: dist/server.mjs, typed by dist/types/server
import { parseMessage } from '../helpers/messages.mjs';

const ID = /^[A-Za-z0-9_-]{1,128}$/;
const TEN_KB = 'a'.repeat(10 * 1024);
// Strings built from the characters that matter here (separators, escapes, markup, non-ASCII, line
// separators, a lone surrogate) plus plain id characters: fast, and dense in edge cases.
const PIECES = [';', ' ', '\r', '\n', '\0', '=', '%', '%3B', '%0D%0A', '%E0%A4%A', '"', ',', '<', '>', '&', '</script>', '<!--',
  'é', '🍪', '\u2028', '\u2029', '\uD800', 'Path=/x', 'a', 'Z', '0', '-', '_', 'id'];
const hostileString = (maxLength = 40) => fc.oneof(
  fc.array(fc.constantFrom(...PIECES), { maxLength }).map((a) => a.join('')),
  fc.string({ maxLength: 140 }),
);
/** Throws OptimizationError `code` whose detail (the part the helper wrote, after the table's meaning) matches `re`. */
const throwsCode = (fn, code, re) => assert.throws(fn, (/** @type {{ name: string, code?: string, message: string }} */ e) =>
  e.name === 'OptimizationError' && e.code === code && (!re || re.test(parseMessage(e.message).detail)), `expected ${code}`);

describe('reading ctfl-opt-aid from a Cookie header', () => {
  test('finds the id among other cookies, unquoted or quoted, in a string or an array of headers', () => {
    assert.equal(ANONYMOUS_ID_COOKIE, 'ctfl-opt-aid');
    assert.equal(readAnonymousId('a=1; ctfl-opt-aid=abc_DEF-123; b=2'), 'abc_DEF-123');
    assert.equal(readAnonymousId('ctfl-opt-aid="abc"'), 'abc');
    assert.equal(readAnonymousId(['a=1', 'ctfl-opt-aid=from-second-header']), 'from-second-header');
    assert.equal(readAnonymousId('xctfl-opt-aid=abc; ctfl-opt-aidx=def'), undefined, 'other names are not the cookie');
    for (const none of [undefined, null, '', 'ctfl-opt-aid', 'ctfl-opt-aid=', 42, {}]) assert.equal(readAnonymousId(/** @type {never} not a header */ (none)), undefined);
  });

  test('a value that is not a profile id reads as no cookie: injection, CRLF, markup, non-ASCII, 10 KB', () => {
    const hostile = [
      'abc%3B%20Path%3D%2Fx', // "abc; Path=/x"
      'abc%0D%0ASet-Cookie%3A%20evil%3D1', // CRLF and a header
      '%3C%2Fscript%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E',
      'caf%C3%A9', 'café', '%F0%9F%8D%AA', '%E0%A4%A', // non-ASCII and a broken escape
      TEN_KB, `${TEN_KB}%00`, 'a b', '..%2F..%2Fetc',
    ];
    for (const value of hostile) assert.equal(readAnonymousId(`ctfl-opt-aid=${value}`), undefined, value.slice(0, 40));
    // A junk cookie first (another path or domain) does not hide a valid one after it.
    assert.equal(readAnonymousId('ctfl-opt-aid=%3Cjunk%3E; ctfl-opt-aid=good-id'), 'good-id');
  });

  test('readCookie(name, cookieHeader) returns any cookie percent-decoded, and undefined for a broken escape', () => {
    assert.equal(readCookie('app-personalization-consent', 'app-personalization-consent=granted; x=1'), 'granted');
    assert.equal(readCookie('x', 'x=%E2%9C%93'), '✓');
    assert.equal(readCookie('x', 'x=%E0%A4%A'), undefined);
    assert.equal(readCookie('x', 'x=a=b'), 'a=b');
    assert.equal(readCookie('x', ['a=1', 'x=2']), '2');
    assert.equal(readCookie('x', undefined), undefined);
    assert.equal(readCookie('x', 'y'), undefined);
  });

  test('readCookie(cookieHeader, name), the order 0.1 documented, still reads the same (deprecated)', () => {
    const old = /** @type {(header: unknown, name: string) => string | undefined} the deprecated overload */ (readCookie);
    assert.equal(old('app-personalization-consent=granted; x=1', 'app-personalization-consent'), 'granted');
    assert.equal(old('x=%E2%9C%93', 'x'), '✓');
    assert.equal(old('x=a=b', 'x'), 'a=b');
    assert.equal(old(['a=1', 'x=2'], 'x'), '2');
    assert.equal(old(undefined, 'x'), undefined);
    assert.equal(old(null, 'x'), undefined);
    // Whatever the header holds: a header that could be a name holds no cookie, so either reading is undefined.
    fc.assert(fc.property(fc.constantFrom('a', 'x', 'ctfl-opt-aid'), hostileString(), fc.boolean(), (name, value, pair) => {
      const header = pair ? `${name}=${value}; other=1` : value;
      assert.equal(old(header, name), readCookie(name, header));
    }), { numRuns: 300 });
  });

  test('property: whatever the cookie holds, the id read is a valid profile id or nothing', () => {
    fc.assert(fc.property(hostileString(), (s) => {
      let encoded;
      try { encoded = encodeURIComponent(s); } catch { /* a lone surrogate cannot be percent-encoded */ }
      if (encoded !== undefined) {
        const read = readAnonymousId(`a=1; ctfl-opt-aid=${encoded}`);
        assert.ok(read === undefined || (read === s && ID.test(read)));
      }
      const raw = readAnonymousId(`ctfl-opt-aid=${s}`);
      assert.ok(raw === undefined || ID.test(raw));
    }), { numRuns: 300 });
  });
});

describe('writing and clearing ctfl-opt-aid', () => {
  test('Path=/, Max-Age of a year, SameSite=Lax, readable by script (never HttpOnly)', () => {
    const cookie = anonymousIdCookie('abc_DEF-123');
    assert.equal(cookie, 'ctfl-opt-aid=abc_DEF-123; Path=/; Max-Age=31536000; SameSite=Lax');
    assert.doesNotMatch(cookie, /HttpOnly/i);
    assert.equal(anonymousIdCookie('id', { secure: true, maxAgeSeconds: 60, domain: '.example.com' }),
      'ctfl-opt-aid=id; Path=/; Domain=.example.com; Max-Age=60; SameSite=Lax; Secure');
    assert.equal(anonymousIdCookie('id', { maxAgeSeconds: 0, secure: false }), 'ctfl-opt-aid=id; Path=/; Max-Age=0; SameSite=Lax');
  });

  test('an id that is not a profile id is refused (E059): attribute injection, CRLF, markup, non-ASCII, 10 KB', () => {
    for (const id of ['a; Path=/x', 'a; HttpOnly', 'a\r\nSet-Cookie: evil=1', 'a\nb', '</script>', 'café', '🍪', TEN_KB, '', ' a', undefined, null, 42, { id: 'a' }]) {
      throwsCode(() => anonymousIdCookie(/** @type {never} also not a string */ (id)), 'E059', /not a profile id/);
    }
  });

  test('invalid attributes are refused (E059): domain, path, max-age, secure', () => {
    for (const domain of ['example.com; HttpOnly', 'ex ample.com', 'example.com\r\nX: 1', 'bücher.de', '', '..example.com', '-x.com', `${'a'.repeat(64)}.com`, 'a.'.repeat(130) + 'com', 7]) {
      throwsCode(() => anonymousIdCookie('id', { domain: /** @type {never} also not a string */ (domain) }), 'E059', /domain/);
      throwsCode(() => clearAnonymousIdCookie({ domain: /** @type {never} */ (domain) }), 'E059', /domain/);
    }
    for (const path of ['x', '/a; Domain=evil.com', '/a\r\nX: 1', '/é', '', 5]) throwsCode(() => anonymousIdCookie('id', { path: /** @type {never} also not a string */ (path) }), 'E059', /path/);
    for (const maxAgeSeconds of [-1, 1.5, NaN, Infinity, '60']) throwsCode(() => anonymousIdCookie('id', { maxAgeSeconds: /** @type {never} also not a number */ (maxAgeSeconds) }), 'E059', /maxAgeSeconds/);
    throwsCode(() => anonymousIdCookie('id', { secure: /** @type {never} not a boolean */ ('yes') }), 'E059', /secure/);
    throwsCode(() => anonymousIdCookie('id', null), 'E059');
  });

  test('clearing expires the cookie with the same Path and Domain it was written with', () => {
    assert.equal(clearAnonymousIdCookie(), 'ctfl-opt-aid=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; SameSite=Lax');
    assert.equal(clearAnonymousIdCookie({ domain: 'example.com', secure: true }),
      'ctfl-opt-aid=; Path=/; Domain=example.com; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; SameSite=Lax; Secure');
  });

  test('property: a written cookie is one header value whose id reads back unchanged', () => {
    fc.assert(fc.property(fc.oneof(hostileString(), fc.stringMatching(ID)), (id) => {
      let cookie;
      try { cookie = anonymousIdCookie(id); } catch (e) { assert.equal(e.code, 'E059'); return; }
      assert.doesNotMatch(cookie, /[\r\n\0]/);
      assert.equal(cookie.split(';').length, 4);
      assert.equal(readAnonymousId(cookie.split(';')[0]), id);
    }), { numRuns: 300 });
  });
});

const profile = (traits = {}) => ({
  id: 'p1', stableId: 'p1', random: 0.5, audiences: ['aud1'], traits, location: { city: 'Berlin' },
  session: { id: 's1', isReturningVisitor: false, count: 1, landingPage: { path: '/', query: {}, referrer: '', search: '', url: 'https://x.test/' }, activeSessionLength: 0, averageSessionLength: 0 },
});
const selection = (experienceId, variantIndex, variants, sticky = false) => ({ experienceId, variantIndex, variants, sticky });
const PREFIX = `<script type="application/json" id="${HANDOFF_ELEMENT_ID}">`;
const SUFFIX = '</script>';

function handoffJson(html) {
  assert.ok(html.startsWith(PREFIX), html.slice(0, 80));
  assert.ok(html.endsWith(SUFFIX));
  const inner = html.slice(PREFIX.length, -SUFFIX.length);
  return inner;
}

describe('serializing OptimizationData into the handoff element', () => {
  test('</script>, <!--, <script>, & and U+2028/U+2029 in traits cannot end or bend the element, and parse back unchanged', () => {
    const traits = {
      bio: '</script><script>alert(1)</script>', comment: '<!-- <script>', amp: '&amp; &lt;', cdata: ']]>',
      lines: 'a\u2028b\u2029c', upper: '</SCRIPT >', '</script>': 'key too',
    };
    const data = { profile: profile(traits), selectedOptimizations: [selection('e1', 1, { b: 'v' })], changes: [{ key: 'k', type: /** @type {const} */ ('Variable'), value: '<b>x</b>', meta: { experienceId: 'e1', variantIndex: 1 } }] };
    const html = serializeOptimizationData(data);
    const inner = handoffJson(html);
    assert.doesNotMatch(inner, /[<>&\u2028\u2029]/);
    assert.equal(html.indexOf('</script'), html.length - SUFFIX.length, 'the only end tag is the real one');
    assert.equal(html.toLowerCase().indexOf('<!--'), -1);
    assert.deepEqual(JSON.parse(inner), data);
  });

  test('only profile, selectedOptimizations and changes are written; no data writes nothing', () => {
    const html = serializeOptimizationData(/** @type {never} fields it does not know */ ({ profile: profile(), selectedOptimizations: [], changes: undefined, secret: 'x', stateEntries: [1] }));
    assert.deepEqual(Object.keys(JSON.parse(handoffJson(html))), ['profile', 'selectedOptimizations', 'changes']);
    assert.deepEqual(JSON.parse(handoffJson(html)).changes, []);
    assert.equal(serializeOptimizationData(undefined), '');
    assert.equal(serializeOptimizationData(null), '');
  });

  test('property: any trait text stays inside the element and round-trips', () => {
    fc.assert(fc.property(fc.dictionary(hostileString(8), hostileString(), { maxKeys: 5 }), (traits) => {
      const data = { profile: profile(traits), selectedOptimizations: [], changes: [] };
      const inner = handoffJson(serializeOptimizationData(data));
      assert.doesNotMatch(inner, /[<>&\u2028\u2029]/);
      assert.deepEqual(JSON.parse(inner), JSON.parse(JSON.stringify(data)));
    }), { numRuns: 200 });
  });
});

describe('rendering an optimized entry on the server', () => {
  const hero = { entryId: 'hero', baseline: '<h1>Baseline</h1>', variants: { heroV: '<h1>Variant</h1>' } };
  const withSelection = (...selected) => ({ profile: profile(), selectedOptimizations: selected, changes: [] });
  const children = (html) => html.slice(html.indexOf('>') + 1, -'</ctfl-optimized-entry>'.length);

  test('the selected variant is the first content, followed by its template and the baseline template', () => {
    const html = renderOptimizedEntry({ ...hero, data: withSelection(selection('exp1', 1, { hero: 'heroV' })), attributes: { class: 'hero', live: true, hidden: false, timeout: 500 } });
    assert.equal(html,
      '<ctfl-optimized-entry entry-id="hero" data-ctfl-entry-id="heroV" data-ctfl-experience-id="exp1" data-ctfl-variant-index="1" data-ctfl-prerendered class="hero" live timeout="500">'
      + '<h1>Variant</h1><template data-variant-id="heroV"><h1>Variant</h1></template><template data-variant-id="hero" data-ctfl-baseline><h1>Baseline</h1></template></ctfl-optimized-entry>');
    assert.ok(children(html).startsWith('<h1>Variant</h1>'));
  });

  test('the baseline (variant index 0, or no selection for this entry) renders as is, with the variant templates', () => {
    for (const data of [withSelection(selection('exp1', 0, { hero: 'hero' })), withSelection(selection('other', 1, { x: 'y' })), withSelection()]) {
      const { html, decision } = renderEntry({ ...hero, data });
      assert.equal(decision.entryId, 'hero');
      assert.ok(children(html).startsWith('<h1>Baseline</h1><template data-variant-id="heroV">'), html);
      assert.doesNotMatch(html, /data-ctfl-baseline/);
      assert.match(html, /data-ctfl-variant-index="0" data-ctfl-prerendered/);
    }
  });

  test('an empty variant renders nothing, keeps the baseline as a template, and says so in data-ctfl-entry-id=""', () => {
    const html = renderOptimizedEntry({ entryId: 'promo', baseline: '<p>20% off</p>', data: withSelection(selection('exp2', 1, { promo: '' })) });
    assert.equal(html, '<ctfl-optimized-entry entry-id="promo" data-ctfl-entry-id="" data-ctfl-experience-id="exp2" data-ctfl-variant-index="1" data-ctfl-prerendered><template data-variant-id="promo" data-ctfl-baseline><p>20% off</p></template></ctfl-optimized-entry>');
  });

  test('without data the browser decides: baseline markup and no decision attributes', () => {
    const { html, decision } = renderEntry({ ...hero });
    assert.equal(decision, undefined);
    assert.equal(html, '<ctfl-optimized-entry entry-id="hero"><h1>Baseline</h1><template data-variant-id="heroV"><h1>Variant</h1></template></ctfl-optimized-entry>');
  });

  test('a selected variant the app has no markup for falls back to the baseline and keeps the metadata', () => {
    const html = renderOptimizedEntry({ ...hero, data: withSelection(selection('exp1', 1, { hero: 'unknownVariant' })) });
    assert.match(html, /data-ctfl-entry-id="hero" data-ctfl-experience-id="exp1" data-ctfl-variant-index="1"/);
    assert.ok(children(html).startsWith('<h1>Baseline</h1>'));
    assert.doesNotMatch(html, /unknownVariant/);
  });

  test('API data never becomes markup: hostile ids are escaped in attributes or not written at all', () => {
    const evil = '"><img src=x onerror=alert(1)>';
    const html = renderOptimizedEntry({
      entryId: `hero${evil}`, baseline: '<h1>B</h1>', variants: { [`v${evil}`]: '<h1>V</h1>' },
      data: withSelection(selection(`exp${evil}`, 1, { [`hero${evil}`]: `v${evil}` })),
      attributes: { title: evil },
    });
    assert.doesNotMatch(html, /<img/);
    assert.match(html, /entry-id="hero&quot;&gt;&lt;img src=x onerror=alert\(1\)&gt;"/);
    assert.match(html, /data-ctfl-experience-id="exp&quot;&gt;/);
    assert.match(html, /<template data-variant-id="v&quot;&gt;&lt;img/);
    // A variant id from the API that is not one of the app's variants is not written anywhere.
    const other = renderOptimizedEntry({ ...hero, data: withSelection(selection('e', 1, { hero: '<b>x</b>' })) });
    assert.doesNotMatch(other, /<b>|&lt;b&gt;/);
  });

  test('attribute names are checked; the helper\'s own attributes cannot be overridden', () => {
    for (const name of ['onclick="x"', 'a b', 'entry-id', 'data-ctfl-entry-id', 'DATA-CTFL-PRERENDERED', '']) {
      assert.throws(() => renderOptimizedEntry({ ...hero, attributes: { [name]: 'x' } }), (/** @type {{ code?: string, message: string }} */ e) =>
        e.code === 'E071' && parseMessage(e.message).detail === JSON.stringify(name), name);
    }
    throwsCode(() => renderOptimizedEntry(/** @type {never} no entryId */ ({ baseline: '' })), 'E070', /^entryId: undefined$/);
    throwsCode(() => renderEntry(/** @type {never} an empty entryId */ ({ entryId: '', baseline: '' })), 'E070', /^entryId: an empty string$/);
    throwsCode(() => renderOptimizedEntry(/** @type {never} no baseline */ ({ entryId: 'x' })), 'E070', /^baseline: undefined$/);
  });
});

describe('resolvers for what the server renders itself', () => {
  const selected = [{ experienceId: 'e1', variantIndex: 1, variants: { hero: 'heroV' } }];
  const entry = {
    sys: { id: 'hero' },
    fields: { nt_experiences: [{ sys: { id: 'e1' }, fields: { nt_config: { components: [{ baseline: { id: 'hero' }, variants: [{ id: 'heroV' }] }] }, nt_variants: [{ sys: { id: 'heroV' } }] } }] },
  };

  test('resolveOptimizedEntry(entry | baselineId, selected): the browser element\'s decision', () => {
    assert.deepEqual(resolveOptimizedEntry('hero', selected), { baselineId: 'hero', entryId: 'heroV', experienceId: 'e1', variantIndex: 1, hidden: false, sticky: false });
    const d = resolveOptimizedEntry(/** @type {never} a Delivery API entry */ (entry), selected);
    assert.deepEqual([d.entryId, d.experienceId, d.variantIndex], ['heroV', 'e1', 1]);
    assert.equal(resolveOptimizedEntry('other', selected).entryId, 'other', 'not selected: the baseline');
    assert.equal(resolveOptimizedEntry('hero', undefined).entryId, 'hero');
  });

  test('getMergeTagValue(path, profile, fallback?) and getFlag(key, changes): what first, what from last', () => {
    const profile = /** @type {never} the fields read */ ({ traits: { firstname: 'Ada' }, location: { city: 'Berlin' } });
    assert.equal(getMergeTagValue('traits.firstname', profile), 'Ada');
    assert.equal(getMergeTagValue('location_city', profile), 'Berlin');
    assert.equal(getMergeTagValue('traits.lastname', profile, 'there'), 'there');
    assert.equal(getMergeTagValue('traits.firstname', undefined, 'there'), 'there');
    const changes = /** @type {never} two changes */ ([
      { key: 'hero-cta', type: 'Variable', value: 'Buy now', meta: { experienceId: 'e', variantIndex: 1 } },
      { key: 'json', type: 'Variable', value: { value: 42 }, meta: { experienceId: 'e', variantIndex: 1 } },
    ]);
    assert.equal(getFlag('hero-cta', changes), 'Buy now');
    assert.equal(getFlag('json', changes), 42, '{ value: X } is X');
    assert.equal(getFlag('missing', changes), undefined);
    assert.equal(getFlag('hero-cta', undefined), undefined);
  });
});
