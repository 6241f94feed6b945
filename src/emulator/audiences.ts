/**
 * Audience rules: `nt_audience.nt_rules` as Contentful's personalization app stores it (see
 * wire-format.md, "Contentful content model"), and how the emulator evaluates it.
 *
 *   nt_rules = { "any": [ { "all": [ rule, … ] }, … ] }        an OR of ANDs
 *
 * Every rule the app writes carries `type`, `key`, `operator`, `value` and `count` (a number or a
 * numeric string), page rules also `conditions`; which fields matter depends on the type:
 *
 *   page                counts the profile's page events (over its lifetime) that met every
 *                       condition at once, and compares that number with `count` by the rule's
 *                       `operator`: greaterThanInclusive "1" = at least one such page view.
 *                       No conditions: every page event counts.
 *   track               counts the profile's track events whose name is `value`, compared the same way.
 *   identify            the profile's current trait `key` (an own key, else a dotted path such as
 *                       `address.city`) compared with `value` by `operator`.
 *   location            the resolved location's field `key` (continent, countryCode, country, city,
 *                       region, regionCode, postalCode, timezone) compared with `value` by `operator`.
 *   isReturningVisitor  session.isReturningVisitor `operator` (equal / notEqual) `value` (a boolean,
 *                       or "true" / "false").
 *
 *   page condition = { "key": { "id": field, "value": parameter, … }, "operator": op, "value": v }
 *
 * The condition's field is `key.id` (`key.category.name` mirrors it and is not needed):
 *   context_page_url, context_page_path, context_page_referrer, context_page_search,
 *   context_page_title, context_page_query (the parameter's name in `key.value`), and the campaign:
 *   context_campaign_source|medium|name|term|content or utm_source|medium|campaign|term|content
 *   (also `context_campaign` / `utm` with the field in `key.value`), read from the event's
 *   context.campaign, else the page's own `utm_*` query parameter.
 *
 * Operators compare as the app's labels say: equal, notEqual, contains, notContains, startsWith,
 * endsWith (strings, case-sensitive), greaterThan, greaterThanInclusive, lessThan,
 * lessThanInclusive (numbers; a value that is not a number never compares), exists, notExists
 * (present and not empty), regex. Choices the app's data leaves open, made so that its rules do
 * what their labels promise:
 *   - the value "*" means any value: `equal "*"` holds when the field is there at all (the URL,
 *     path, referrer, search and title of a page event always are, so `context_page_url equal "*"`
 *     is any page), `notEqual "*"` when it is not;
 *   - `equal` / `notEqual` on the referrer also compare its host without a leading "www." (the app
 *     stores `tiktok.com` for a visitor who came from https://www.tiktok.com/@…);
 *   - `contains` on an array trait means the array has that element; `notEqual` and `notContains`
 *     hold for a trait the profile does not have.
 *
 * A rule the emulator cannot evaluate — an unknown type, field, location key or operator, a
 * missing `value`, a `count` that is not a whole number, old shapes such as a condition whose
 * `key` is a plain string — is reported once at load with its reason and never matches; neither
 * it nor anything else in `nt_rules` ever throws. Page and track counters are kept per profile, so
 * audiences are re-evaluated from them on every request: a profile stays in an audience only while
 * its rules keep matching.
 */
import { murmur3 } from '../core/murmur3.js';
import type { JsonObject } from '../core/schemas.js';

/** Operators a condition (or an identify / location rule) may use. */
export const OPERATORS = [
  'equal', 'notEqual', 'contains', 'notContains', 'startsWith', 'endsWith', 'regex', 'exists', 'notExists',
  'greaterThan', 'greaterThanInclusive', 'lessThan', 'lessThanInclusive',
] as const;
export type Operator = (typeof OPERATORS)[number];

/** Operators that compare an event count with a page or track rule's `count`. */
export const COUNT_OPERATORS = ['equal', 'notEqual', 'greaterThan', 'greaterThanInclusive', 'lessThan', 'lessThanInclusive'] as const;
export type CountOperator = (typeof COUNT_OPERATORS)[number];

export const RULE_TYPES = ['page', 'track', 'identify', 'location', 'isReturningVisitor'] as const;
export const LOCATION_KEYS = ['continent', 'countryCode', 'country', 'city', 'region', 'regionCode', 'postalCode', 'timezone'] as const;

type Scalar = string | number | boolean;

/** Which part of a page event a page condition reads. */
export type PageField =
  | { kind: 'url' | 'path' | 'referrer' | 'search' | 'title' }
  | { kind: 'query'; name: string }
  | { kind: 'campaign'; name: CampaignKey };
type CampaignKey = 'source' | 'medium' | 'name' | 'term' | 'content';

export interface PageCondition { field: PageField; operator: Operator; value: Scalar | undefined }

export type Rule =
  | { type: 'page'; key: string; conditions: PageCondition[]; operator: CountOperator; count: number }
  | { type: 'track'; event: string; operator: CountOperator; count: number }
  | { type: 'identify'; key: string; operator: Operator; value: Scalar | undefined }
  | { type: 'location'; key: string; operator: Operator; value: Scalar | undefined }
  | { type: 'isReturningVisitor'; operator: 'equal' | 'notEqual'; value: boolean }
  | { type: 'never'; reason: string };

export interface ParsedRules {
  any: Rule[][];
  /** One sentence per rule (or shape) that can never match: `nt_rules.any[0].all[1]: why; …`. */
  problems: string[];
}

// ---------------------------------------------------------------------------------------------
// Reading rules

const own = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);
const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const isScalar = (v: unknown): v is Scalar => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
const show = (v: unknown): string => {
  if (v === undefined) return 'nothing';
  try {
    const text = JSON.stringify(v);
    return text.length > 60 ? `${text.slice(0, 57)}…` : text;
  } catch {
    return typeof v;
  }
};
const oneOf = (list: readonly string[]) => list.join(', ');
/** `count "x"` / `count is missing`, for the start of a reason. */
const named = (name: string, v: unknown): string => (v === undefined ? `${name} is missing` : `${name} ${show(v)}`);

class Unevaluable extends Error {}
const fail = (reason: string): never => { throw new Unevaluable(reason); };

function countOf(rule: Record<string, unknown>): number {
  const raw = rule.count;
  if (typeof raw === 'number' && Number.isInteger(raw) && raw >= 0) return raw;
  if (typeof raw === 'string' && /^\s*\d{1,9}\s*$/.test(raw)) return Number(raw);
  return fail(`${named('count', raw)}${raw === undefined ? '' : ' is not a whole number'} (the app writes e.g. "1")`);
}

function countOperatorOf(rule: Record<string, unknown>): CountOperator {
  const op = rule.operator;
  if (typeof op === 'string' && (COUNT_OPERATORS as readonly string[]).includes(op)) return op as CountOperator;
  return fail(`${named('operator', op)}${op === undefined ? '' : ' cannot compare an event count with count'} (use one of ${oneOf(COUNT_OPERATORS)})`);
}

function operatorOf(op: unknown, where: string): Operator {
  if (typeof op === 'string' && (OPERATORS as readonly string[]).includes(op)) return op as Operator;
  return fail(`${where}${named('operator', op)}${op === undefined ? '' : ' is unknown'} (use one of ${oneOf(OPERATORS)})`);
}

function valueOf(operator: Operator, value: unknown, where: string): Scalar | undefined {
  if (operator === 'exists' || operator === 'notExists') return undefined;
  if (isScalar(value)) return value;
  return fail(`${where}${named('value', value)}${value === undefined ? '' : ' is not a string, number or boolean'}; ${operator} needs one`);
}

const CAMPAIGN: Record<string, CampaignKey> = {
  source: 'source', medium: 'medium', name: 'name', campaign: 'name', term: 'term', content: 'content',
};
const PAGE_FIELDS = ['context_page_url', 'context_page_path', 'context_page_referrer', 'context_page_search',
  'context_page_title', 'context_page_query', 'context_campaign_<source|medium|name|term|content>', 'utm_<source|medium|campaign|term|content>'];

function campaignKey(name: string): CampaignKey | undefined {
  const bare = name.replace(/^utm_/, '');
  return own(CAMPAIGN, bare) ? CAMPAIGN[bare] : undefined;
}

function pageFieldOf(key: unknown, where: string): PageField {
  if (typeof key === 'string') {
    return fail(`${where}key is the string ${show(key)}; the app stores an object such as {"id": ${show(key)}, "value": ""}`);
  }
  if (!isObject(key)) return fail(`${where}${named('key', key)}${key === undefined ? '' : ' is not an object'} (expected {"id": "context_page_url", "value": ""})`);
  const id = typeof key.id === 'string' && key.id ? key.id : typeof key.key === 'string' ? key.key : '';
  const param = typeof key.value === 'string' ? key.value.trim() : '';
  switch (id) {
    case 'context_page_url': return { kind: 'url' };
    case 'context_page_path': return { kind: 'path' };
    case 'context_page_referrer': return { kind: 'referrer' };
    case 'context_page_search': return { kind: 'search' };
    case 'context_page_title': return { kind: 'title' };
    case 'context_page_query':
      return param ? { kind: 'query', name: param } : fail(`${where}key.value must name the query parameter of context_page_query`);
    case 'context_campaign':
    case 'utm': {
      const name = campaignKey(param);
      return name ? { kind: 'campaign', name } : fail(`${where}key.value ${show(key.value)} is not a campaign field (source, medium, campaign, term, content)`);
    }
  }
  const name = id.startsWith('context_campaign_') ? campaignKey(id.slice('context_campaign_'.length))
    : id.startsWith('utm_') ? campaignKey(id) : undefined;
  if (name) return { kind: 'campaign', name };
  return fail(`${where}key.id ${show(id || undefined)} is not a page field the emulator knows (${oneOf(PAGE_FIELDS)})`);
}

/** The counter key of a page rule: rules with the same conditions share one counter. */
export const pageRuleKey = (conditions: readonly PageCondition[]): string =>
  `page:${murmur3(JSON.stringify(conditions.map((c) => [c.field, c.operator, c.value ?? null]))).toString(36)}`;

function readRule(raw: unknown): Exclude<Rule, { type: 'never' }> {
  if (!isObject(raw)) return fail(`rule ${show(raw)} is not an object`);
  const type = raw.type;
  switch (type) {
    case 'page': {
      const list = raw.conditions ?? [];
      if (!Array.isArray(list)) return fail(`conditions ${show(list)} is not an array`);
      // The app writes page rules with an empty key and value; a rule that puts its test there and
      // has no conditions would otherwise count every page view, matching more than it asks for.
      if (!list.length && ((typeof raw.key === 'string' && raw.key) || (raw.value !== undefined && raw.value !== ''))) {
        return fail('a page rule with a key or value but no conditions is not a shape the personalization app writes');
      }
      const conditions = list.map((c: unknown, i): PageCondition => {
        const where = `conditions[${i}].`;
        if (!isObject(c)) return fail(`${where.slice(0, -1)} ${show(c)} is not an object`);
        const field = pageFieldOf(c.key, where);
        const operator = operatorOf(c.operator, where);
        return { field, operator, value: valueOf(operator, c.value, where) };
      });
      return { type, key: pageRuleKey(conditions), conditions, operator: countOperatorOf(raw), count: countOf(raw) };
    }
    case 'track': {
      if (Array.isArray(raw.conditions) && raw.conditions.length > 0) {
        fail('conditions on track event properties are not supported by the emulator');
      }
      const event = typeof raw.value === 'string' ? raw.value.trim() : '';
      if (!event) {
        return fail(typeof raw.event === 'string'
          ? `the event name is in "event"; the app stores it in "value"`
          : `${named('value', raw.value)}; it must be the track event's name`);
      }
      return { type, event, operator: countOperatorOf(raw), count: countOf(raw) };
    }
    case 'identify':
    case 'location': {
      // Ignoring conditions would match more visitors than the rule asks for.
      if (Array.isArray(raw.conditions) && raw.conditions.length > 0) {
        fail(`conditions are not read for ${type} rules; the app stores the ${type === 'identify' ? 'trait' : 'location field'} in "key" with "operator" and "value"`);
      }
      const key = typeof raw.key === 'string' ? raw.key.trim() : '';
      if (!key) return fail(`${named('key', raw.key)}; it must name the ${type === 'identify' ? 'trait' : 'location field'}`);
      if (type === 'location' && !(LOCATION_KEYS as readonly string[]).includes(key)) {
        fail(`location key ${show(key)} is unknown (use one of ${oneOf(LOCATION_KEYS)})`);
      }
      const operator = operatorOf(raw.operator, '');
      const value = valueOf(operator, raw.value, '');
      return type === 'identify' ? { type, key, operator, value } : { type, key, operator, value };
    }
    case 'isReturningVisitor': {
      const op = raw.operator;
      if (op !== 'equal' && op !== 'notEqual') return fail(`${named('operator', op)}${op === undefined ? '' : ' is not equal or notEqual'} (the app writes "equal")`);
      const v = raw.value;
      const value = v === true || v === 'true' ? true : v === false || v === 'false' ? false : fail(`${named('value', v)}${v === undefined ? '' : ' is not true or false'}`);
      return { type, operator: op, value };
    }
    default:
      return fail(typeof type === 'string'
        ? `rule type ${show(type)} is not one the personalization app writes (${oneOf(RULE_TYPES)})`
        : 'rule has no type');
  }
}

/** One rule; a rule that cannot be evaluated becomes `{type: 'never', reason}`. Never throws. */
export function parseRule(raw: unknown): Rule {
  try {
    return readRule(raw);
  } catch (error) {
    return { type: 'never', reason: error instanceof Unevaluable ? error.message : `rule cannot be read (${String(error)})` };
  }
}

const SHAPE = '{"any":[{"all":[rule, …]}, …]}';

/**
 * `nt_rules` as stored. Every shape problem and every rule that cannot be evaluated ends up in
 * `problems` as one sentence naming where it is and what it costs. Never throws.
 */
export function parseRules(raw: unknown): ParsedRules {
  const problems: string[] = [];
  if (raw === undefined || raw === null) return { any: [], problems: [`nt_rules is missing (expected ${SHAPE}); the audience never matches`] };
  if (!isObject(raw) || !Array.isArray(raw.any)) {
    const got = isObject(raw) ? `nt_rules.any is ${show(raw.any)}` : `nt_rules is ${show(raw)}`;
    return { any: [], problems: [`${got} (expected ${SHAPE}); the audience never matches`] };
  }
  if (raw.any.length === 0) problems.push('nt_rules.any is empty; the audience never matches');
  const any = raw.any.map((group: unknown, g): Rule[] => {
    if (!isObject(group) || !Array.isArray(group.all)) {
      problems.push(`nt_rules.any[${g}] is ${show(group)} (expected {"all":[rule, …]}); that group never matches`);
      return [];
    }
    if (group.all.length === 0) problems.push(`nt_rules.any[${g}].all is empty; that group never matches`);
    return group.all.map((r: unknown, i) => {
      const rule = parseRule(r);
      if (rule.type === 'never') problems.push(`nt_rules.any[${g}].all[${i}]: ${rule.reason}; the rule never matches`);
      return rule;
    });
  });
  return { any, problems };
}

// ---------------------------------------------------------------------------------------------
// Comparing values

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

const toNumber = (v: unknown): number => {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '') return Number(v);
  return Number.NaN;
};

function scalarEqual(actual: unknown, expected: Scalar): boolean {
  if (!isScalar(actual)) return false;
  return typeof actual !== 'string' && typeof expected !== 'string' ? actual === expected : String(actual) === String(expected);
}

/** `actual <operator> expected`, as a condition or an identify / location rule compares. */
export function testCondition(actual: unknown, operator: string, expected: Scalar | undefined): boolean {
  const present = actual !== undefined && actual !== null && actual !== '';
  if (expected === '*' && (operator === 'equal' || operator === 'notEqual')) {
    const there = actual !== undefined && actual !== null;
    return operator === 'equal' ? there : !there;
  }
  switch (operator) {
    case 'exists': return present;
    case 'notExists': return !present;
    case 'notEqual': return !testCondition(actual, 'equal', expected);
    case 'notContains': return !testCondition(actual, 'contains', expected);
  }
  if (expected === undefined) return false;
  if (Array.isArray(actual)) {
    return operator === 'contains' || operator === 'equal' ? actual.some((item) => scalarEqual(item, expected)) : false;
  }
  if (!isScalar(actual)) return false;
  const a = String(actual);
  const e = String(expected);
  switch (operator) {
    case 'equal': return scalarEqual(actual, expected);
    case 'contains': return a.includes(e);
    case 'startsWith': return a.startsWith(e);
    case 'endsWith': return a.endsWith(e);
    case 'regex': return compile(e)?.test(a) ?? false;
    case 'greaterThan': return toNumber(actual) > toNumber(expected);
    case 'greaterThanInclusive': return toNumber(actual) >= toNumber(expected);
    case 'lessThan': return toNumber(actual) < toNumber(expected);
    case 'lessThanInclusive': return toNumber(actual) <= toNumber(expected);
    default: return false;
  }
}

export function compareCount(n: number, operator: CountOperator, count: number): boolean {
  switch (operator) {
    case 'equal': return n === count;
    case 'notEqual': return n !== count;
    case 'greaterThan': return n > count;
    case 'greaterThanInclusive': return n >= count;
    case 'lessThan': return n < count;
    case 'lessThanInclusive': return n <= count;
  }
}

/** Own-property path lookup (`a.b.c`) that never walks into prototypes. */
export function getPath(root: unknown, path: string): unknown {
  let cur = root;
  for (const key of path.split('.')) {
    if (cur === null || typeof cur !== 'object' || !own(cur, key)) return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

/** A trait by its own name first (`a.b` may be one key), else by path. */
const traitValue = (traits: JsonObject, key: string): unknown => (own(traits, key) ? traits[key] : getPath(traits, key));

// ---------------------------------------------------------------------------------------------
// Page facts

/** What page conditions look at, taken from one page event. */
export interface PageFacts {
  path: string;
  url: string;
  referrer: string;
  search: string;
  title: string;
  query: Record<string, string>;
  campaign: Record<string, string>;
}

function queryValue(facts: PageFacts, name: string): string | undefined {
  if (own(facts.query, name)) {
    const v = facts.query[name];
    return typeof v === 'string' ? v : v === undefined || v === null ? undefined : String(v);
  }
  if (!facts.search) return undefined;
  try {
    return new URLSearchParams(facts.search).get(name) ?? undefined;
  } catch {
    return undefined;
  }
}

export function pageValue(facts: PageFacts, field: PageField): string | undefined {
  switch (field.kind) {
    case 'url': return facts.url;
    case 'path': return facts.path;
    case 'referrer': return facts.referrer;
    case 'search': return facts.search;
    case 'title': return facts.title;
    case 'query': return queryValue(facts, field.name);
    case 'campaign': {
      if (own(facts.campaign, field.name)) return facts.campaign[field.name];
      return queryValue(facts, field.name === 'name' ? 'utm_campaign' : `utm_${field.name}`);
    }
  }
}

const bareHost = (text: string): string => text.trim().toLowerCase().replace(/^www\./, '').replace(/\/+$/, '');

function referrerEqual(referrer: string, expected: Scalar): boolean {
  if (referrer === String(expected)) return true;
  let host: string;
  try {
    host = new URL(referrer).hostname;
  } catch {
    host = referrer;
  }
  return host !== '' && bareHost(host) === bareHost(String(expected));
}

export function pageConditionMatches(facts: PageFacts, c: PageCondition): boolean {
  const actual = pageValue(facts, c.field);
  if (c.field.kind === 'referrer' && c.value !== undefined && c.value !== '*' && (c.operator === 'equal' || c.operator === 'notEqual')) {
    const equal = referrerEqual(facts.referrer, c.value);
    return c.operator === 'equal' ? equal : !equal;
  }
  return testCondition(actual, c.operator, c.value);
}

export const pageConditionsMatch = (facts: PageFacts, conditions: readonly PageCondition[]): boolean =>
  conditions.every((c) => pageConditionMatches(facts, c));

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
  own(counts, key) ? (counts[key] ?? 0) : 0;

export function ruleMatches(rule: Rule, subject: RuleSubject): boolean {
  switch (rule.type) {
    case 'page': return compareCount(ownCount(subject.pageCounts, rule.key), rule.operator, rule.count);
    case 'track': return compareCount(ownCount(subject.trackCounts, rule.event), rule.operator, rule.count);
    case 'identify': return testCondition(traitValue(subject.traits, rule.key), rule.operator, rule.value);
    case 'location': {
      const value = own(subject.location, rule.key) ? subject.location[rule.key] : undefined;
      return testCondition(value, rule.operator, rule.value);
    }
    case 'isReturningVisitor': return (subject.isReturningVisitor === rule.value) === (rule.operator === 'equal');
    default: return false;
  }
}

export const rulesMatch = (rules: ParsedRules, subject: RuleSubject): boolean =>
  rules.any.some((all) => all.length > 0 && all.every((rule) => ruleMatches(rule, subject)));
