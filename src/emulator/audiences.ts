/**
 * Audience rules: what `nt_audience.nt_rules` holds, and how the emulator evaluates it.
 *
 * The hosted service does not document its rule JSON, so the emulator defines its own (the demo
 * space uses exactly this):
 *
 *   nt_rules  = { "any": [ { "all": [ rule, … ] }, … ] }        an OR of ANDs
 *
 *   rule      = { "type": "page", "conditions": [condition, …], "count"?: 1 }
 *                 matches when at least `count` page events of the profile's lifetime met all
 *                 conditions at once. Condition keys: context_page_path, context_page_url,
 *                 context_page_referrer, context_page_search, context_page_query.<param>,
 *                 utm_source, utm_medium, utm_campaign, utm_term, utm_content (from
 *                 context.campaign, else the page query).
 *             | { "type": "track", "event": "signup", "count"?: 1 }
 *                 matches when the profile sent at least `count` track events of that name.
 *             | { "type": "identify", "conditions": [condition, …] }
 *                 conditions on the profile's current traits; `key` is a trait path (`address.city`).
 *             | { "type": "location", "conditions": [condition, …] }
 *                 conditions on the profile's resolved location: continent, countryCode, country,
 *                 city, region, regionCode, postalCode, timezone.
 *             | { "type": "isReturningVisitor", "value"?: true }
 *                 matches when session.isReturningVisitor equals `value` (default true).
 *
 *   condition = { "key": string, "operator": operator, "value"?: string | number | boolean }
 *   operator  = equal | notEqual | contains | notContains | startsWith | endsWith | regex
 *             | exists | notExists | greaterThan | lessThan
 *
 * Values compare as strings except greaterThan/lessThan (numbers) and equal on two non-strings.
 * An `all` with no rules, an `any` with no groups, a rule of unknown type, a malformed rule and an
 * unknown operator never match — and never throw. Page and track counters are kept per profile, so
 * audiences are re-evaluated from them on every request: a profile stays in an audience only while
 * its rules keep matching.
 */
import { z } from 'zod/mini';
import { murmur3 } from '../core/murmur3.js';
import type { JsonObject } from '../core/schemas.js';

export const OPERATORS = [
  'equal', 'notEqual', 'contains', 'notContains', 'startsWith', 'endsWith', 'regex', 'exists', 'notExists',
  'greaterThan', 'lessThan',
] as const;
export type Operator = (typeof OPERATORS)[number];

const Scalar = z.union([z.string(), z.number(), z.boolean()]);
const Condition = z.object({ key: z.string().check(z.minLength(1)), operator: z.string(), value: z.optional(Scalar) });
export type Condition = z.infer<typeof Condition>;
const Count = z.optional(z.int().check(z.minimum(1)));

const PageRule = z.looseObject({ type: z.literal('page'), conditions: z.array(Condition), count: Count });
const TrackRule = z.looseObject({ type: z.literal('track'), event: z.string().check(z.minLength(1)), count: Count });
const IdentifyRule = z.looseObject({ type: z.literal('identify'), conditions: z.array(Condition) });
const LocationRule = z.looseObject({ type: z.literal('location'), conditions: z.array(Condition) });
const ReturningRule = z.looseObject({ type: z.literal('isReturningVisitor'), value: z.optional(z.boolean()) });
const KnownRule = z.discriminatedUnion('type', [PageRule, TrackRule, IdentifyRule, LocationRule, ReturningRule]);

export type Rule =
  | (z.infer<typeof PageRule> & { key: string })
  | z.infer<typeof TrackRule>
  | z.infer<typeof IdentifyRule>
  | z.infer<typeof LocationRule>
  | z.infer<typeof ReturningRule>
  | { type: 'never'; reason: string };

/** `{ any: [ { all: [...] } ] }`: the outer shape must hold; single rules may be anything. */
export const RulesShape = z.object({ any: z.array(z.object({ all: z.array(z.unknown()) })) });

export interface ParsedRules {
  any: Rule[][];
  warnings: string[];
}

/** The counter key of a page rule: the same conditions share one counter. */
export const pageRuleKey = (conditions: readonly Condition[]): string =>
  `page:${murmur3(JSON.stringify(conditions.map((c) => [c.key, c.operator, c.value ?? null]))).toString(36)}`;

export function parseRule(raw: unknown): Rule {
  const result = z.safeParse(KnownRule, raw);
  if (!result.success) {
    const type = raw !== null && typeof raw === 'object' ? (raw as { type?: unknown }).type : undefined;
    return { type: 'never', reason: typeof type === 'string' ? `rule type "${type}" is unknown or malformed` : 'rule has no type' };
  }
  const rule = result.data;
  return rule.type === 'page' ? { ...rule, key: pageRuleKey(rule.conditions) } : rule;
}

export function parseRules(raw: z.infer<typeof RulesShape>): ParsedRules {
  const warnings: string[] = [];
  const any = raw.any.map((group, g) => group.all.map((r, i) => {
    const rule = parseRule(r);
    if (rule.type === 'never') warnings.push(`any[${g}].all[${i}]: ${rule.reason}; it never matches`);
    const conditions: readonly Condition[] =
      rule.type === 'page' || rule.type === 'identify' || rule.type === 'location' ? rule.conditions : [];
    for (const c of conditions) {
      if (!(OPERATORS as readonly string[]).includes(c.operator)) {
        warnings.push(`any[${g}].all[${i}]: operator "${c.operator}" is unknown; the condition never matches`);
      }
    }
    return rule;
  }));
  return { any, warnings };
}

// ---------------------------------------------------------------------------------------------
// Conditions

const regexCache = new Map<string, RegExp | null>();
function compile(source: string): RegExp | null {
  let re = regexCache.get(source);
  if (re === undefined) {
    try { re = new RegExp(source); } catch { re = null; }
    if (regexCache.size > 1000) regexCache.clear();
    regexCache.set(source, re);
  }
  return re;
}

const isScalar = (v: unknown): v is string | number | boolean =>
  typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';

export function testCondition(actual: unknown, operator: string, expected: string | number | boolean | undefined): boolean {
  const present = actual !== undefined && actual !== null && actual !== '';
  switch (operator) {
    case 'exists': return present;
    case 'notExists': return !present;
    case 'notEqual': return !testCondition(actual, 'equal', expected);
    case 'notContains': return !testCondition(actual, 'contains', expected);
  }
  if (!isScalar(actual) || expected === undefined) return false;
  const a = String(actual);
  const e = String(expected);
  switch (operator) {
    case 'equal': return typeof actual !== 'string' && typeof expected !== 'string' ? actual === expected : a === e;
    case 'contains': return a.includes(e);
    case 'startsWith': return a.startsWith(e);
    case 'endsWith': return a.endsWith(e);
    case 'regex': return compile(e)?.test(a) ?? false;
    case 'greaterThan': return Number(actual) > Number(expected);
    case 'lessThan': return Number(actual) < Number(expected);
    default: return false;
  }
}

/** Own-property path lookup (`a.b.c`) that never walks into prototypes. */
export function getPath(root: unknown, path: string): unknown {
  let cur = root;
  for (const key of path.split('.')) {
    if (cur === null || typeof cur !== 'object' || !Object.prototype.hasOwnProperty.call(cur, key)) return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

// ---------------------------------------------------------------------------------------------
// Page facts

/** What page conditions look at, taken from one page event. */
export interface PageFacts {
  path: string;
  url: string;
  referrer: string;
  search: string;
  query: Record<string, string>;
  campaign: Record<string, string>;
}

const UTM: Record<string, string> = {
  utm_source: 'source', utm_medium: 'medium', utm_campaign: 'name', utm_term: 'term', utm_content: 'content',
};

export function pageValue(facts: PageFacts, key: string): string | undefined {
  const own = (o: Record<string, string>, k: string) => (Object.prototype.hasOwnProperty.call(o, k) ? o[k] : undefined);
  switch (key) {
    case 'context_page_path': return facts.path;
    case 'context_page_url': return facts.url;
    case 'context_page_referrer': return facts.referrer;
    case 'context_page_search': return facts.search;
  }
  if (key.startsWith('context_page_query.')) return own(facts.query, key.slice('context_page_query.'.length));
  const campaignKey = own(UTM, key);
  if (campaignKey) return own(facts.campaign, campaignKey) ?? own(facts.query, key);
  return undefined;
}

export const pageConditionsMatch = (facts: PageFacts, conditions: readonly Condition[]): boolean =>
  conditions.every((c) => testCondition(pageValue(facts, c.key), c.operator, c.value));

// ---------------------------------------------------------------------------------------------
// Evaluation

/** What rules are evaluated against: a profile's current state and lifetime counters. */
export interface RuleSubject {
  traits: JsonObject;
  location: Record<string, unknown>;
  isReturningVisitor: boolean;
  pageCounts: Record<string, number>;
  trackCounts: Record<string, number>;
}

export const ownCount = (counts: Record<string, number>, key: string): number =>
  Object.prototype.hasOwnProperty.call(counts, key) ? (counts[key] ?? 0) : 0;

export function ruleMatches(rule: Rule, subject: RuleSubject): boolean {
  switch (rule.type) {
    case 'page': return ownCount(subject.pageCounts, rule.key) >= (rule.count ?? 1);
    case 'track': return ownCount(subject.trackCounts, rule.event) >= (rule.count ?? 1);
    case 'identify':
      return rule.conditions.length > 0 &&
        rule.conditions.every((c) => testCondition(getPath(subject.traits, c.key), c.operator, c.value));
    case 'location':
      return rule.conditions.length > 0 &&
        rule.conditions.every((c) => testCondition(getPath(subject.location, c.key), c.operator, c.value));
    case 'isReturningVisitor': return subject.isReturningVisitor === (rule.value ?? true);
    default: return false;
  }
}

export const rulesMatch = (rules: ParsedRules, subject: RuleSubject): boolean =>
  rules.any.some((all) => all.length > 0 && all.every((rule) => ruleMatches(rule, subject)));
