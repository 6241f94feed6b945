/**
 * `@ctfl/optimization-elements/server`: the stateless Node runtime and the server-to-browser
 * handoff (profile-synchronization.txt). See docs/server.md.
 */
export { ContentfulOptimization, RequestOptimization } from './client.js';
export type {
  EventContextInput, FlagViewPayload, ForRequestOptions, HoverPayload, IdentifyPayload, PagePayload, RequestPage, ScreenPayload,
  ServerEventResult, TrackPayload, ViewPayload,
} from './client.js';
export { ALLOWABLE_EVENT_TYPES, SERVER_DEFAULT_ALLOWED_EVENT_TYPES } from './config.js';
export type { ResolvedServerConfig, ServerConfig } from './config.js';
export {
  ANONYMOUS_ID_COOKIE, ANONYMOUS_ID_MAX_AGE_SECONDS, anonymousIdCookie, clearAnonymousIdCookie, readAnonymousId, readCookie,
} from './cookies.js';
export type { AnonymousIdCookieOptions, CookieHeader } from './cookies.js';
export { HANDOFF_ELEMENT_ID, serializeOptimizationData, toScriptJson } from './handoff.js';
export { escapeHtml, renderEntry, renderOptimizedEntry } from './render.js';
export type { RenderedEntry, RenderOptimizedEntryOptions } from './render.js';
export { getFlag, getMergeTagValue, resolveByBaselineId, resolveEntryJson } from '../core/resolve.js';
export type { ContentfulEntry, EntryDecision } from '../core/resolve.js';
export { OptimizationError } from '../core/log.js';
export type { ConsentChoice } from '../core/consent.js';
export type { Change, OptimizationData, Profile, SelectedOptimization } from '../core/wire.js';
