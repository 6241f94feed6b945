/**
 * The dashboard's content as a tree of plain objects, built from a results answer. The server
 * turns the tree into escaped HTML (dashboard.ts), the browser into DOM nodes with
 * `createElement` and text nodes (dashboard-client.ts) — one description of the page, and event
 * data (experience names, goal names, ids) only ever becomes text or an attribute value.
 */
import type { ExperienceResult, GoalResult, ResultsResponse } from './results.js';
import { chance, clock, count, goalLine, percent, points, range, srmText, tooFewText, variantLabel } from './results-format.js';

export type Child = VNode | string;
export interface VNode { tag: string; attrs: Record<string, string>; children: Child[] }

/** Elements created in the SVG namespace. */
export const SVG_TAGS: ReadonlySet<string> = new Set(['svg', 'g', 'line', 'polyline', 'text', 'title', 'desc', 'rect']);

type Maybe = Child | (Child | null | undefined | false)[] | null | undefined | false;

export function h(tag: string, attrs: Record<string, string | number | boolean | null | undefined> = {}, ...children: Maybe[]): VNode {
  const a: Record<string, string> = {};
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    a[k] = v === true ? '' : String(v);
  }
  const flat: Child[] = [];
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) { for (const d of c) if (d !== null && d !== undefined && d !== false) flat.push(d); } else flat.push(c);
  }
  return { tag, attrs: a, children: flat };
}

const COLORS = ['#57606a', '#0969da', '#bf3989', '#1a7f37', '#9a6700', '#8250df'];
const DASHES = ['', '8 4', '2 3', '10 3 2 3', '4 4', '1 2'];
const style = (index: number) => ({ stroke: COLORS[index % COLORS.length]!, dash: DASHES[index % DASHES.length]! });

// ---------------------------------------------------------------------------------------------

export function summaryView(r: ResultsResponse): Child[] {
  const scope = r.scope.organization === null ? 'all organizations' : `organization ${r.scope.organization}`;
  return [
    h('dt', {}, 'Scope'), h('dd', {}, r.scope.environment === null ? scope : `${scope}, environment ${r.scope.environment}`),
    h('dt', {}, 'Profiles'), h('dd', { id: 'profile-count' }, String(r.totals.profiles)),
    h('dt', {}, 'Insights events'), h('dd', { id: 'insights-count' }, String(r.totals.insightsEvents)),
    h('dt', {}, 'Experience events'), h('dd', { id: 'experience-count' }, String(r.totals.experienceEvents)),
    ...droppedView(r),
    h('dt', {}, 'Updated'), h('dd', { id: 'updated' }, clock(r.generatedAt)),
  ];
}

/** What the store's per-namespace caps dropped, only once they dropped anything. */
function droppedView(r: ResultsResponse): Child[] {
  const d = r.totals.dropped;
  if (!d || !(d.insightsEvents || d.experienceEvents || d.forgottenMessageIds || d.unsummarizedEvents)) return [];
  const parts = [
    `${count(d.insightsEvents, 'Insights event')} and ${count(d.experienceEvents, 'Experience event')} left the event logs (their figures are kept)`,
    d.unsummarizedEvents ? `${count(d.unsummarizedEvents, 'event')} did not fit the summary either: the figures miss them` : '',
    d.forgottenMessageIds ? `${count(d.forgottenMessageIds, 'messageId')} forgotten: those events would count again if resent` : '',
  ].filter(Boolean);
  return [h('dt', {}, 'Dropped by the caps'), h('dd', { id: 'dropped', class: d.unsummarizedEvents || d.forgottenMessageIds ? 'warning' : null }, `${parts.join('; ')}.`)];
}

/** The goal picker: received track event names as checkboxes, and a field for one not seen yet. */
export function goalsView(r: ResultsResponse): Child[] {
  return [
    h('fieldset', {},
      h('legend', {}, 'Goals: track events that count as a conversion'),
      h('div', { id: 'goal-options' }, goalOptionsView(r)),
      h('div', { class: 'add-goal' },
        h('label', { for: 'goal-new' }, 'Another event name'),
        h('input', { type: 'text', id: 'goal-new', name: 'goal-new', maxlength: 256, autocomplete: 'off', spellcheck: 'false' }),
        h('button', { type: 'submit' }, 'Add goal'))),
  ];
}

/** The checkboxes alone: the browser replaces them as new event names arrive, leaving the text field alone. */
export function goalOptionsView(r: ResultsResponse): Child[] {
  const names = [...r.goals, ...r.availableGoals.map((g) => g.name).filter((n) => !r.goals.includes(n))];
  const events = new Map(r.availableGoals.map((g) => [g.name, g.events]));
  if (!names.length) return [h('p', { class: 'muted' }, 'No track events received yet.')];
  return [h('ul', { class: 'goal-list' }, names.map((name, i) => h('li', {},
    h('input', { type: 'checkbox', id: `goal-${i}`, name: 'goal', value: name, checked: r.goals.includes(name) }),
    h('label', { for: `goal-${i}` }, name, h('span', { class: 'muted' }, ` (${count(events.get(name) ?? 0, 'event')})`)))))];
}

export function resultsView(r: ResultsResponse): Child[] {
  const cards = r.experiences.map((e, i) => experienceCard(r, e, i));
  return cards.length ? cards : [h('p', {}, 'No experiences in the space.')];
}

export function audiencesView(r: ResultsResponse): Child[] {
  if (!r.unevaluableAudiences.length) return [h('p', { class: 'muted' }, 'Every audience rule in the space can be evaluated.')];
  return [
    h('p', {}, 'These audiences contain rules the emulator cannot evaluate; such a rule never matches, so their experiences may never be shown.'),
    h('ul', { class: 'unevaluable' }, r.unevaluableAudiences.map((u) => h('li', {},
      h('code', {}, u.code ? `ctfl-opt/${u.code}` : '(no code)'), ' ', h('strong', {}, u.audienceName), ' ', h('code', { class: 'muted' }, u.audienceId), ': ', u.why))),
  ];
}

function experienceCard(r: ResultsResponse, e: ExperienceResult, i: number): VNode {
  const id = `exp-${i}`;
  const meta: string[] = [e.type];
  if (e.sticky) meta.push('sticky');
  if (e.traffic !== null) meta.push(`traffic ${Math.round(e.traffic * 100)} %`);
  if (e.distribution.length) meta.push(`distribution ${e.distribution.map((d) => Math.round(d * 100)).join(' / ')}`);
  if (!e.inSpace) meta.push('not in the space file');
  const srmClass = e.srm.status === 'mismatch' ? 'warning' : 'muted';
  return h('section', { class: 'card', id, 'aria-labelledby': `${id}-title`, 'data-experience-id': e.id },
    h('h2', { id: `${id}-title` }, e.name),
    h('p', { class: 'meta' }, meta.join(' · '), ' · ', h('code', {}, e.id), ' · ',
      h('span', { class: 'total' }, count(e.visitors, 'visitor')),
      e.crossovers ? ` (${count(e.crossovers, 'visitor')} also saw another variant; each counts in the first)` : '',
      e.outOfRangeVisitors ? h('span', { class: 'out-of-range' }, ` (${count(e.outOfRangeVisitors, 'visitor')} first seen in a variant index above 63, in no variant below)`) : ''),
    e.audience?.unevaluable.length
      ? h('p', { class: 'warning', role: 'note' }, `Audience ${e.audience.name} has rules the emulator cannot evaluate (${e.audience.unevaluable.map((u) => `ctfl-opt/${u.code}`).join(', ')}): it may never match.`)
      : null,
    h('div', { class: 'table-wrap' },
      h('table', { class: 'activity' },
        h('caption', {}, 'Visitors and activity on the entry'),
        h('thead', {}, h('tr', {}, ['Variant', 'Visitors', 'Views', 'Clicks', 'Hovers'].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, e.variants.map((v) => h('tr', { 'data-variant': v.index },
          h('th', { scope: 'row' }, variantLabel(v.index)),
          h('td', { 'data-label': 'Visitors', class: 'visitors' }, String(v.visitors)),
          h('td', { 'data-label': 'Views', class: 'views' }, String(v.views)),
          h('td', { 'data-label': 'Clicks', class: 'clicks' }, String(v.clicks)),
          h('td', { 'data-label': 'Hovers', class: 'hovers' }, String(v.hovers))))))),
    h('p', { class: `srm ${srmClass}`, 'data-srm': e.srm.status, ...(e.srm.status === 'mismatch' ? { role: 'note' } : {}) }, srmText(e.srm, r.method.srmThreshold)),
    !r.goals.length
      ? h('p', { class: 'muted' }, 'No goal chosen: pick a track event under Goals, or start the emulator with --goal NAME.')
      : e.visitors === 0
        ? h('p', { class: 'muted no-visitors' }, `No visitor exposed yet: conversions for ${r.goals.map((g) => `“${g}”`).join(', ')} count from a visitor's first view of this experience's entry.`)
        : e.goals.map((g, gi) => goalBlock(r, e, g, `${id}-goal-${gi}`)));
}

function goalBlock(r: ResultsResponse, e: ExperienceResult, g: GoalResult, id: string): VNode {
  return h('div', { class: 'goal', id, 'data-goal': g.goal },
    h('h3', {}, 'Goal ', h('q', {}, g.goal)),
    g.enoughData ? null : h('p', { class: 'warning too-few', role: 'note' }, tooFewText(r.method.minVisitors, r.method.minConversions)),
    h('div', { class: 'table-wrap' },
      h('table', { class: 'conversions' },
        h('caption', {}, `Conversions: visitors who sent “${g.goal}” after their first view`),
        h('thead', {}, h('tr', {}, ['Variant', 'Conversions', 'Rate (95 % interval)', 'Difference vs baseline (95 % interval)', 'Chance to beat baseline']
          .map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, g.variants.map((v) => h('tr', { 'data-variant': v.index },
          h('th', { scope: 'row' }, variantLabel(v.index)),
          h('td', { 'data-label': 'Conversions', class: 'conversions' }, `${v.conversions} of ${v.visitors}`),
          h('td', { 'data-label': 'Rate (95 % interval)', class: 'rate' }, percent(v.rate),
            v.rate === null ? '' : h('span', { class: 'muted' }, ` (${range(v.rateLower, v.rateUpper, percent)})`)),
          h('td', { 'data-label': 'Difference vs baseline', class: 'difference' },
            v.index === 0 ? 'baseline' : v.difference === null ? '—' : points(v.difference),
            v.difference === null ? '' : h('span', { class: 'muted' }, ` (${range(v.differenceLower, v.differenceUpper, points)})`)),
          h('td', { 'data-label': 'Chance to beat baseline', class: 'chance' }, v.index === 0 ? '—' : chance(v.probabilityToBeat))))))),
    chart(e, g, `${id}-chart`));
}

/** Conversion rate over time per variant (cumulative), as an SVG line chart with a text legend. */
function chart(e: ExperienceResult, g: GoalResult, id: string): VNode[] {
  // Drawn small, so the labels stay readable when the chart is scaled down to a phone's width.
  const W = 400;
  const H = 200;
  const left = 62;
  const right = 12;
  const top = 12;
  const bottom = 30;
  const points = g.series;
  const title = `Conversion rate over time for “${g.goal}”, ${e.name}`;
  const latest = g.variants.map((v) => `${variantLabel(v.index)} ${percent(v.rate)}`).join(', ');
  if (points.length === 0) return [h('p', { class: 'muted chart-empty' }, 'The chart starts with the first exposed visitor.')];
  let max = 0;
  for (const p of points) p.visitors.forEach((n, i) => { if (n > 0) max = Math.max(max, (p.conversions[i] ?? 0) / n); });
  const top10 = Math.max(0.1, Math.ceil(max * 10) / 10);
  const x = (i: number) => left + (points.length === 1 ? (W - left - right) / 2 : ((W - left - right) * i) / (points.length - 1));
  const y = (rate: number) => top + (H - top - bottom) * (1 - rate / top10);
  const grid = [0, top10 / 2, top10].map((v) => h('g', { class: 'grid' },
    h('line', { x1: left, x2: W - right, y1: y(v).toFixed(1), y2: y(v).toFixed(1), stroke: '#d0d7de' }),
    h('text', { x: left - 6, y: (y(v) + 4).toFixed(1), 'text-anchor': 'end' }, percent(v))));
  const lines = g.variants.map((v) => {
    const s = style(v.index);
    const coords = points.map((p, i) => {
      const n = p.visitors[v.index] ?? 0;
      return n > 0 ? `${x(i).toFixed(1)},${y((p.conversions[v.index] ?? 0) / n).toFixed(1)}` : null;
    }).filter((c): c is string => c !== null);
    if (!coords.length) return null;
    const [endX, endY] = coords[coords.length - 1]!.split(',').map(Number) as [number, number];
    return h('g', { 'data-variant': v.index },
      h('polyline', { points: coords.join(' '), fill: 'none', stroke: s.stroke, 'stroke-width': 2.5, 'stroke-dasharray': s.dash || null }),
      // The latest value, visible even while the line has a single point.
      h('rect', { x: (endX - 3).toFixed(1), y: (endY - 3).toFixed(1), width: 6, height: 6, fill: s.stroke }));
  });
  const first = points[0]!.at;
  const last = points[points.length - 1]!.at;
  return [
    h('svg', { class: 'chart', id, viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: 'img', 'aria-labelledby': `${id}-title ${id}-desc`, xmlns: 'http://www.w3.org/2000/svg' },
      h('title', { id: `${id}-title` }, title),
      h('desc', { id: `${id}-desc` }, `Cumulative rate from ${clock(first)} to ${clock(last)}; now ${latest}.`),
      grid,
      h('text', { x: left, y: H - 9 }, clock(first)),
      h('text', { x: W - right, y: H - 9, 'text-anchor': 'end' }, clock(last)),
      lines),
    h('ul', { class: 'legend' }, g.variants.map((v) => {
      const s = style(v.index);
      return h('li', {},
        h('svg', { width: 28, height: 10, viewBox: '0 0 28 10', 'aria-hidden': 'true', focusable: 'false' },
          h('line', { x1: 1, x2: 27, y1: 5, y2: 5, stroke: s.stroke, 'stroke-width': 2.5, 'stroke-dasharray': s.dash || null })),
        ` ${goalLine(g, v.index)}`);
    })),
  ];
}
