/**
 * `@ctfl/optimization-elements/server`: the stateless Node runtime and the server-to-browser
 * handoff (profile-synchronization.txt). See docs/server.md. Every name here is in the README's
 * "Exports" table (test/node/exports.test.mjs); what is not here is internal.
 */
export { ContentfulOptimization } from './client.js';
export type {
  EventContextInput, FlagViewPayload, ForRequestOptions, HoverPayload, IdentifyPayload, PagePayload, RequestOptimization, RequestPage,
  ScreenPayload, ServerEventResult, TrackPayload, ViewPayload,
} from './client.js';
export type { ServerConfig } from './config.js';
export { ANONYMOUS_ID_COOKIE, anonymousIdCookie, clearAnonymousIdCookie, readAnonymousId, readCookie } from './cookies.js';
export type { AnonymousIdCookieOptions, CookieHeader } from './cookies.js';
export { HANDOFF_ELEMENT_ID, serializeOptimizationData } from './handoff.js';
export { escapeHtml, renderEntry, renderOptimizedEntry } from './render.js';
export type { RenderedEntry, RenderOptimizedEntryOptions } from './render.js';
export { getFlag, getMergeTagValue, resolveOptimizedEntry } from './resolve.js';
export type { ContentfulEntry, EntryDecision } from '../core/resolve.js';
export { OptimizationError } from '../core/log.js';
export type { ConsentChoice } from '../core/consent.js';
export type { Change, OptimizationData, Profile, SelectedOptimization } from '../core/wire.js';
