// Helpers for the preview panel suites (test/browser/preview-*.test.ts): the demo space's content
// model in Delivery API shape, reading and driving the panel through its labelled controls, the
// fixture page in an iframe, and snapshots of what the visitor's browser keeps.
import type { PreviewPanelElement } from '../../src/elements/preview-panel.js';
import { ok } from './assert.js';
import { EMULATOR, waitFor } from './browser.js';
import { updated } from './elements.js';

// Ids of the demo space (demo/space.json), which the test emulator serves.
export const HERO = { experience: 'expHeroPricing00000001', baseline: 'heroBaseline0000000001', variant: 'heroVariant00000000001', audience: 'audPricingVisitors0001' };
export const TEASER = { experience: 'expTeaserAbTest0000001', baseline: 'teaserBaseline00000001', variant: 'teaserVariant000000001' };
export const PROMO = { experience: 'expPromoHidden00000001', baseline: 'promoBanner00000000001', audience: 'audReturning0000000001' };

const link = (id: string) => ({ sys: { type: 'Link', linkType: 'Entry', id } });

/** The demo space's experiences as a Delivery API client returns them (links resolved). */
export const EXPERIENCES = [
  {
    sys: { id: HERO.experience, contentType: link('nt_experience') },
    fields: {
      nt_name: 'Hero for pricing visitors', nt_type: 'nt_personalization', nt_experience_id: HERO.experience,
      nt_audience: { sys: { id: HERO.audience }, fields: { nt_audience_id: HERO.audience, nt_name: 'Pricing visitors' } },
      nt_variants: [{ sys: { id: HERO.variant }, fields: { headline: 'Plans that grow with you' } }],
      nt_config: {
        traffic: 1, distribution: [0, 1], sticky: false,
        components: [{ type: 'EntryReplacement', baseline: { id: HERO.baseline }, variants: [{ id: HERO.variant, hidden: false }] }],
      },
    },
  },
  {
    sys: { id: TEASER.experience },
    fields: {
      nt_name: 'Product teaser A/B test', nt_type: 'nt_experiment', nt_experience_id: TEASER.experience, nt_audience: null,
      nt_variants: [{ sys: { id: TEASER.variant }, fields: {} }],
      nt_config: {
        traffic: 1, distribution: [0.5, 0.5], sticky: true,
        components: [
          { type: 'EntryReplacement', baseline: { id: TEASER.baseline }, variants: [{ id: TEASER.variant, hidden: false }] },
          { type: 'InlineVariable', key: 'hero-cta', valueType: 'String', baseline: { value: 'Learn more' }, variants: [{ value: 'Buy now' }] },
        ],
      },
    },
  },
  {
    sys: { id: PROMO.experience },
    fields: {
      nt_name: 'Hide promo for returning visitors', nt_experience_id: PROMO.experience,
      nt_audience: { sys: { id: PROMO.audience }, fields: { nt_audience_id: PROMO.audience, nt_name: 'Returning visitors' } },
      nt_variants: [],
      nt_config: {
        traffic: 1, distribution: [0, 1], sticky: false,
        components: [{ type: 'EntryReplacement', baseline: { id: PROMO.baseline }, variants: [{ id: 'promoHidden00000000001', hidden: true }] }],
      },
    },
  },
];

/** A baseline entry linking its experiences, as `<ctfl-optimized-entry>.entry` takes it. */
export const heroEntry = () => ({ sys: { id: HERO.baseline }, fields: { headline: 'Personalization without the wait', nt_experiences: [EXPERIENCES[0]] } });

/** The panel's visible text (rendered: blocks on their own lines), whitespace collapsed. */
export const panelText = (panel: PreviewPanelElement) => (panel.shadowRoot!.querySelector('aside')?.innerText ?? '').replace(/\s+/g, ' ').trim();

/** After a choice: the panel has rendered, and the page's elements (which update in microtasks) have too. */
async function settled(panel: PreviewPanelElement): Promise<void> {
  await panel.updateComplete;
  await updated(...panel.ownerDocument.querySelectorAll('ctfl-optimized-entry, ctfl-flag, ctfl-merge-tag'));
}

/** The form control whose label starts with `name`. */
export function control<T extends HTMLElement = HTMLSelectElement>(panel: PreviewPanelElement, name: string): T {
  const root = panel.shadowRoot!;
  const label = [...root.querySelectorAll('label')].find((l) => (l.textContent ?? '').trim().startsWith(name));
  ok(label, `a control labelled "${name}" in the panel: ${panelText(panel)}`);
  const el = root.getElementById(label.htmlFor);
  ok(el, `the control of "${name}"`);
  return el as T;
}

/** The list item (row) of the control labelled `name`. */
export const rowOf = (panel: PreviewPanelElement, name: string) => control(panel, name).closest('li')!;

/** Picks the option whose text starts with `option` in the select labelled `name`, as a user does. */
export async function choose(panel: PreviewPanelElement, name: string, option: string): Promise<void> {
  const select = control<HTMLSelectElement>(panel, name);
  const found = [...select.options].find((o) => (o.textContent ?? '').trim().startsWith(option));
  ok(found, `option "${option}" in "${name}": ${[...select.options].map((o) => o.textContent).join(' | ')}`);
  select.value = found.value;
  select.dispatchEvent(new Event('change', { bubbles: true }));
  await settled(panel);
}

/** Types `value` into the flag field labelled `key` and submits it. */
export async function setFlagText(panel: PreviewPanelElement, key: string, value: string): Promise<void> {
  const input = control<HTMLInputElement>(panel, key);
  input.value = value;
  input.form!.requestSubmit();
  await settled(panel);
}

export function button(panel: PreviewPanelElement, text: string): HTMLButtonElement {
  const found = [...panel.shadowRoot!.querySelectorAll('button')].find((b) => b.textContent!.trim() === text);
  ok(found, `a "${text}" button`);
  return found;
}

/** Everything the visitor's browser keeps for the SDK: localStorage and cookies. */
export function durableState(win: Window = window): { localStorage: Record<string, string>; cookies: string } {
  const ls: Record<string, string> = {};
  for (let i = 0; i < win.localStorage.length; i++) {
    const key = win.localStorage.key(i)!;
    ls[key] = win.localStorage.getItem(key)!;
  }
  return { localStorage: ls, cookies: win.document.cookie.split('; ').sort().join('; ') };
}

/** The fixture page (test/fixtures/preview/page.html) in an iframe, `build` `src` or `umd`. */
export async function openFixture(settings: { org: string; build: 'src' | 'umd'; query?: string; csp?: string; width?: number; height?: number }) {
  const frame = document.createElement('iframe');
  frame.className = 'fixture-frame';
  frame.style.cssText = `width: ${settings.width ?? 800}px; height: ${settings.height ?? 600}px; border: 0`;
  const hash = encodeURIComponent(JSON.stringify({ org: settings.org, build: settings.build, emulator: EMULATOR, csp: settings.csp }));
  const url = (query = '') => `/test/fixtures/preview/page.html${query}#${hash}`;
  const load = (src: string) => new Promise<void>((resolve) => {
    frame.addEventListener('load', () => resolve(), { once: true });
    const loc = frame.contentWindow?.location;
    // A navigation in the same tab; the same URL (with its fragment) would only scroll: reload it.
    if (frame.isConnected && loc!.href === new URL(src, loc!.href).href) loc!.reload();
    else if (frame.isConnected) loc!.href = src;
    else { frame.src = src; document.body.append(frame); }
  });
  await load(url(settings.query));
  return {
    frame,
    get win() { return frame.contentWindow as Window & typeof globalThis & { optimization: any; warnings: string[]; violations: string[] } },
    get doc() { return frame.contentDocument! },
    /** The same page again (a reload, or another page of the site), with `query`. */
    navigate: (query = '') => load(url(query)),
    /** The panel, once the page has one. */
    panel: () => waitFor(() => frame.contentDocument?.querySelector('ctfl-preview-panel')?.shadowRoot?.querySelector('aside') &&
      frame.contentDocument!.querySelector('ctfl-preview-panel')!, 6000, 'the preview panel') as Promise<PreviewPanelElement>,
  };
}
