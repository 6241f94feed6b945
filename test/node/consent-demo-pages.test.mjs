// The consent demo pages (demo/consent*.html) use the CMP test doubles in demo/cmp/ (the browser
// tests load the same files), and carry no inline script (they run under a strict Content-Security-Policy;
// test/e2e/consent-demo.test.mjs clicks through them).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { root } from '../helpers/emulator.mjs';

const demo = join(root, 'demo');

test('each consent demo page loads the bundle and /config.js, has a bridge, and no inline script', () => {
  const pages = readdirSync(demo).filter((f) => /^consent.*\.html$/.test(f));
  assert.deepEqual(pages.sort(), ['consent-cookiebot.html', 'consent-gcm.html', 'consent-onetrust.html', 'consent-tcf.html', 'consent-usercentrics.html', 'consent.html']);
  for (const page of pages) {
    const html = readFileSync(join(demo, page), 'utf8');
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    for (const [tag, attrs, body] of scripts) {
      assert.match(attrs, /\bsrc="/, `${page}: inline script ${tag}`);
      assert.equal(body.trim(), '', `${page}: script with a body`);
      const src = /\bsrc="([^"]+)"/.exec(attrs)[1];
      if (src.startsWith('/cmp/')) assert.ok(existsSync(join(demo, src)), `${page}: ${src} does not exist`);
    }
    assert.doesNotMatch(html, /\son[a-z]+=/i, `${page}: inline event handler`);
    assert.match(html, /<script src="\/config\.js"><\/script>/, page);
    assert.match(html, /<script src="\/dist\/optimization\.umd\.js" data-client-id="demo-org"/, page);
    assert.match(html, /<ctfl-consent-bridge source="[a-z]+"/, page);
  }
});
