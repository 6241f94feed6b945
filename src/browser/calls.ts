/**
 * What every event method does before its event is queued: the call's form is checked (another
 * form is refused with E015 and the right form), the consent gate decides (a blocked call is
 * recorded in `blockedEvents` and reported to `onEventBlocked`), and the event is built on this
 * page's context. The methods themselves are the facade's (optimization.ts).
 */
import { isMethodAllowed, METHOD_EVENT_TYPES, type BlockedEvent, type GatedMethod } from '../core/consent.js';
import { buildViewEvent, type EventBase, type ViewPayload } from '../core/events.js';
import { payloadProblem, type PayloadMethod } from '../core/payloads.js';
import type { ContentfulOptimization } from './optimization.js';
import { currentPage } from './page.js';
import type { EventResult } from './types.js';

/** How many blocked calls and emitted events the state keeps (the newest). */
export const HISTORY = 50;

type Method = PayloadMethod & GatedMethod;
/** Builds the event: `base` is this page's context (eventBase()). */
type Build<P> = (base: EventBase, payload: P) => Record<string, unknown>;

/** The context every event carries: channel, locale, user agent, page, app, library, consent. */
export function eventBase(rt: ContentfulOptimization): EventBase {
  return {
    channel: 'web',
    locale: rt.config.locale,
    userAgent: rt._win.navigator?.userAgent,
    page: currentPage(rt._win),
    app: rt.config.app,
    library: { name: __PACKAGE_NAME__, version: __VERSION__ },
    isConsentGiven: rt._store.value.consent === true,
  };
}

/** A call in another form than the method's: nothing is queued, and the caller is told the right form. */
export function refuse(rt: ContentfulOptimization, problem: string): EventResult {
  rt._log.warn('E015', problem);
  return { accepted: false, error: Object.freeze({ reason: 'invalid-call', code: 'E015', message: problem }) };
}

/** Whether `method` may send now; a blocked call is recorded and reported. */
export function gate(rt: ContentfulOptimization, method: GatedMethod): boolean {
  if (rt._destroyed) return false;
  const store = rt._store;
  const { consent } = store.value;
  if (isMethodAllowed(method, consent, rt.config.allowedEventTypes)) return true;
  const blocked: BlockedEvent = Object.freeze({
    reason: 'consent', method, eventType: METHOD_EVENT_TYPES[method][0], consent, at: new Date().toISOString(),
  });
  store.set({ blockedEvents: Object.freeze([...store.value.blockedEvents, blocked].slice(-HISTORY)) });
  if (__DEV__) rt._log.debug(`${method}() blocked: no event consent and "${blocked.eventType}" is not in allowedEventTypes`);
  try { rt.config.onEventBlocked?.(blocked); } catch (error) {
    rt._log.error('E011', '', error);
  }
  return false;
}

/** An event that goes to the Experience API: its promise settles with the answer to its request. */
export function experienceCall<P>(rt: ContentfulOptimization, method: Method, payload: P | undefined, extra: unknown, build: Build<P>): Promise<EventResult> {
  const problem = payloadProblem(method, payload, extra);
  if (problem) return Promise.resolve(refuse(rt, problem));
  if (!gate(rt, method)) return Promise.resolve({ accepted: false });
  return rt._exp._push(build(eventBase(rt), payload ?? ({} as P)));
}

/** An event that goes to the Insights API only, queued when the gate lets it through. */
export function insightsCall<P>(rt: ContentfulOptimization, method: Method, payload: P, extra: unknown, build: Build<P>): Promise<EventResult> {
  const problem = payloadProblem(method, payload, extra);
  if (problem) return Promise.resolve(refuse(rt, problem));
  const accepted = gate(rt, method);
  if (accepted) rt._ins._push(build(eventBase(rt), payload));
  return Promise.resolve({ accepted });
}

/** A view. Sticky views go to the Experience API first (so the API pins the variant), then Insights. */
export async function viewCall(rt: ContentfulOptimization, payload: ViewPayload, extra: unknown): Promise<EventResult> {
  const problem = payloadProblem('trackView', payload, extra);
  if (problem) return refuse(rt, problem);
  if (!gate(rt, 'trackView')) return { accepted: false };
  const sticky = payload.sticky ?? (!!payload.experienceId && rt._store.value.selectedOptimizations?.some((o) => o.experienceId === payload.experienceId && o.sticky === true));
  let result: EventResult = { accepted: true };
  if (sticky) {
    const purges = rt._purges;
    result = await rt._exp._push(buildViewEvent(eventBase(rt), payload));
    // Purged while the Experience request was out (consent(false), reset()): no Insights follow-up.
    if (!result.accepted || purges !== rt._purges) return { accepted: false, ...(result.error ? { error: result.error } : {}) };
  }
  rt._ins._push(buildViewEvent(eventBase(rt), payload));
  return result;
}
