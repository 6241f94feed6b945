/**
 * The consent gate (consent-management.txt): which SDK methods may emit given event consent and the
 * allow-list. Consent is `undefined` (no decision), `true` or `false`; only an explicit `true`
 * opens every gate and sets `context.gdpr.isConsentGiven`.
 */
export type ConsentValue = boolean | undefined;

/** The event type(s) each method needs. `trackFlagView` passes when either `flag` or `component` is allowed. */
export const METHOD_EVENT_TYPES = {
  page: ['page'],
  identify: ['identify'],
  track: ['track'],
  screen: ['screen'],
  trackView: ['component'],
  trackClick: ['component_click'],
  trackHover: ['component_hover'],
  trackFlagView: ['flag', 'component'],
} as const satisfies Record<string, readonly string[]>;
export type GatedMethod = keyof typeof METHOD_EVENT_TYPES;

/** Event types an allow-list may name: the wire event types (wire-events.ts EVENT_TYPES) plus `flag` (Custom Flag views). */
export const ALLOWABLE_EVENT_TYPES: readonly string[] = Object.freeze(['page', 'identify', 'track', 'screen', 'component', 'component_click', 'component_hover', 'flag']);

export const BROWSER_DEFAULT_ALLOWED_EVENT_TYPES: readonly string[] = Object.freeze(['identify', 'page']);

export function isMethodAllowed(method: GatedMethod, consent: ConsentValue, allowedEventTypes: readonly string[]): boolean {
  if (consent === true) return true;
  return METHOD_EVENT_TYPES[method].some((t) => allowedEventTypes.includes(t));
}

/**
 * Whether an event already built (a queue a previous page persisted) may leave under this consent:
 * the gate of the method that made it. A flag view is a `component` event of type `Variable`.
 */
export function isEventAllowed(event: { type?: unknown; componentType?: unknown }, consent: ConsentValue, allowedEventTypes: readonly string[]): boolean {
  if (consent === true) return true;
  const types = event.type === 'component' && event.componentType === 'Variable' ? METHOD_EVENT_TYPES.trackFlagView : [event.type];
  return types.some((t) => allowedEventTypes.includes(t as string));
}

export interface BlockedEvent {
  readonly reason: 'consent';
  readonly method: GatedMethod;
  readonly eventType: string;
  readonly consent: ConsentValue;
  readonly at: string;
}

export interface ConsentChoice { events?: boolean; persistence?: boolean }

/** `consent(true|false)` maps to both choices; the object form changes only the fields given. */
export function normalizeConsentChoice(choice: boolean | ConsentChoice): ConsentChoice {
  if (typeof choice === 'boolean') return { events: choice, persistence: choice };
  const out: ConsentChoice = {};
  if (typeof choice?.events === 'boolean') out.events = choice.events;
  if (typeof choice?.persistence === 'boolean') out.persistence = choice.persistence;
  return out;
}
