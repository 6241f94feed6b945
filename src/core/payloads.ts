/**
 * The one method contract of the browser and the server entry, as in the reference SDKs: every
 * event method takes one payload object. A call in another form (a positional string, a missing
 * `event`, traits that are not an object, an unknown key) is refused before anything is queued,
 * with a message that shows the right form — a migrating caller learns at once, instead of the API
 * refusing the event later.
 */
import type { JsonRecord } from './events.js';
import { nearest } from './text.js';

export interface PagePayload { properties?: JsonRecord; userId?: string }
export interface IdentifyPayload { userId?: string; traits?: JsonRecord }
export interface TrackPayload { event: string; properties?: JsonRecord }
export interface ScreenPayload { name: string; properties?: JsonRecord }

type Kind = 's' | 'o' | 'n' | 'b' | 'i' | 'f' | 't';
/**
 * `!` marks a required key. s: non-empty string, o: plain object of JSON values, n: number ≥ 0,
 * i: integer ≥ 0, b: boolean, f: function, t: a component type ("Entry" or "Variable").
 */
type Shape = Record<string, Kind | `${Kind}!`>;

const component: Shape = { componentId: 's!', experienceId: 's', variantIndex: 'i', componentType: 't' };

export const PAYLOAD_SHAPES = {
  page: { properties: 'o', userId: 's' },
  identify: { userId: 's', traits: 'o' },
  track: { event: 's!', properties: 'o' },
  screen: { name: 's!', properties: 'o' },
  trackView: { ...component, viewId: 's', viewDurationMs: 'n', sticky: 'b' },
  trackClick: component,
  trackHover: { ...component, hoverId: 's', hoverDurationMs: 'n' },
  trackFlagView: { componentId: 's!', experienceId: 's', variantIndex: 'i' },
  trackCurrentPage: { routeKey: 's!', initialPageEvent: 's', buildPayload: 'f', properties: 'o' },
} satisfies Record<string, Shape>;
export type PayloadMethod = keyof typeof PAYLOAD_SHAPES;
const COMPONENT_KEYS: Shape = { ...PAYLOAD_SHAPES.trackView, ...PAYLOAD_SHAPES.trackHover };

/** The payload each method takes, for messages: `{ event, properties? }`. */
export const formOf = (method: PayloadMethod): string =>
  `{ ${Object.entries(PAYLOAD_SHAPES[method] as Shape).filter(([k]) => k !== 'componentType').map(([k, t]) => (t.endsWith('!') ? k : `${k}?`)).join(', ')} }`;

const isPlainObject = (v: unknown): v is Record<string, unknown> => {
  if (v === null || typeof v !== 'object') return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
};

/** JSON text of a value, or undefined when it has none (a cycle, a BigInt). */
const jsonOf = (v: unknown): string | undefined => { try { return JSON.stringify(v); } catch { return undefined; } };

const ok: Record<Kind, (v: unknown) => boolean> = {
  s: (v) => typeof v === 'string' && v !== '',
  // The event is sent as JSON: a value with no JSON form (a cycle, a BigInt) would fail the whole batch later.
  o: (v) => isPlainObject(v) && jsonOf(v) !== undefined,
  n: (v) => typeof v === 'number' && v >= 0 && Number.isFinite(v),
  i: (v) => Number.isInteger(v) && (v as number) >= 0,
  b: (v) => typeof v === 'boolean',
  f: (v) => typeof v === 'function',
  t: (v) => v === 'Entry' || v === 'Variable',
};
const want: Record<Kind, string> = {
  s: 'a non-empty string', o: 'an object of JSON values', n: 'a number ≥ 0', i: 'an integer ≥ 0', b: 'a boolean', f: 'a function',
  t: '"Entry" or "Variable"',
};
/** Page properties the API requires to be strings, when a payload sets them. */
const PAGE_STRINGS = ['path', 'referrer', 'search', 'title', 'url'];

const describe = (v: unknown): string =>
  v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'string' ? `the string ${JSON.stringify(v.slice(0, 40))}` : typeof v;

/**
 * What is wrong with a call's payload, or `undefined` when it has the method's form. `page()` may be
 * called without one. The text reads after the method's form: `track({ event, properties? }) …`.
 */
export function payloadProblem(method: PayloadMethod, payload: unknown, extra?: unknown): string | undefined {
  const shape = PAYLOAD_SHAPES[method] as Shape;
  const form = formOf(method);
  if (payload === undefined && method === 'page') {
    return extra === undefined ? undefined : `page() takes one payload object, ${form}; a second argument is not read`;
  }
  if (!isPlainObject(payload)) {
    const hint = typeof payload === 'string' && (method === 'track' || method === 'identify' || method === 'screen')
      ? `: call ${method}({ ${method === 'track' ? 'event' : method === 'screen' ? 'name' : 'userId'}: ${JSON.stringify(payload.slice(0, 40))}${extra !== undefined ? `, ${method === 'identify' ? 'traits' : 'properties'}: {…}` : ''} })`
      : '';
    return `${method}() takes ${form}, not ${describe(payload)}${hint}`;
  }
  if (extra !== undefined) return `${method}() takes one payload object, ${form}; a second argument is not read`;
  // A component payload spread into a sibling method (a view's `viewId` on trackClick) is not a
  // mistake worth refusing; a key no component method knows is.
  const known: Shape = 'componentId' in shape ? COMPONENT_KEYS : shape;
  for (const key of Object.keys(payload)) {
    if (!Object.prototype.hasOwnProperty.call(known, key)) {
      const near = nearest(key, Object.keys(shape));
      return `${method}() takes ${form}: unknown key "${key.slice(0, 40)}"${near ? ` (did you mean "${near}"?)` : ''}`;
    }
  }
  for (const [key, t] of Object.entries(shape)) {
    const v = payload[key];
    const kind = t[0] as Kind;
    if (v === undefined) {
      if (t.endsWith('!')) return `${method}() takes ${form}: "${key}" is missing`;
    } else if (!ok[kind](v)) {
      return `${method}() takes ${form}: "${key}" must be ${want[kind]}, not ${describe(v)}`;
    }
  }
  if (method === 'identify' && payload.userId === undefined && payload.traits === undefined) {
    return `${method}() takes ${form}: give a userId, traits or both`;
  }
  // One refused event refuses the whole batch it is sent in: catch what the API would refuse here.
  const props = method === 'page' ? (payload.properties as Record<string, unknown> | undefined) : undefined;
  for (const key of PAGE_STRINGS) {
    if (props && props[key] !== undefined && typeof props[key] !== 'string') return `${method}() takes ${form}: "properties.${key}" must be a string`;
  }
  if (props?.query !== undefined && !(isPlainObject(props.query) && Object.values(props.query).every((q) => typeof q === 'string'))) {
    return `${method}() takes ${form}: "properties.query" must be an object of strings`;
  }
  return undefined;
}
