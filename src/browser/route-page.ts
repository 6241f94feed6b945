/**
 * `trackCurrentPage()`: a page event per route, for apps with their own router (and the script
 * tag's route tracking). The script-tag bundle loads it with its deferred chunk; the runtime waits
 * for it only when it is not there yet.
 */
import { formOf, payloadProblem, type PagePayload } from '../core/payloads.js';
import type { ContentfulOptimization, EventResult, TrackCurrentPageOptions } from './optimization.js';

/** The route key last reported, per runtime. */
export interface RouteMemory { key?: string }

export function trackCurrentPage(
  sdk: ContentfulOptimization, memory: RouteMemory, options: TrackCurrentPageOptions, extra: unknown, refuse: (problem: string) => EventResult,
): Promise<EventResult> {
  const problem = payloadProblem('trackCurrentPage', options, extra)
    ?? (options.initialPageEvent !== undefined && options.initialPageEvent !== 'emit' && options.initialPageEvent !== 'skip'
      ? `trackCurrentPage() takes ${formOf('trackCurrentPage')}: "initialPageEvent" must be "emit" or "skip"` : undefined);
  if (problem) return Promise.resolve(refuse(problem));
  const key = options.routeKey;
  if (key === memory.key) return Promise.resolve({ accepted: false });
  if (memory.key === undefined && options.initialPageEvent === 'skip') {
    memory.key = key;
    return Promise.resolve({ accepted: false });
  }
  let payload: unknown = { properties: options.properties };
  if (options.buildPayload) {
    try { payload = options.buildPayload(); } catch (error) {
      sdk._log.error('E016', '', error);
      return Promise.resolve({ accepted: false });
    }
  }
  // The route counts as reported once its page event is taken: a blocked, malformed or refused one
  // is sent again by the next call for the same route.
  const previous = memory.key;
  memory.key = key;
  const sent = sdk.page(payload as PagePayload);
  void sent.then((r) => { if (!r.accepted && memory.key === key) memory.key = previous; });
  return sent;
}
