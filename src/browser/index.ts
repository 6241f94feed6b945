/** The browser runtime: the `ContentfulOptimization` class and its constants. */
export { ContentfulOptimization } from './optimization.js';
export type {
  EmittedEvent, EventError, EventResult, FlagViewPayload, HoverPayload, IdentifyPayload, OptimizationState, Overrides, PagePayload,
  RequestState, RuntimeDependencies, ScreenPayload, ShownDecision, TrackCurrentPageOptions, TrackPayload, ViewPayload,
} from './optimization.js';
export type { OptimizationConfig, ResolvedConfig } from './config.js';
export { ANONYMOUS_ID_COOKIE, LEGACY_ANONYMOUS_ID_COOKIE } from './cookies.js';
export { STORAGE_KEYS, LEGACY_STORAGE_KEYS } from './storage.js';
export { HANDOFF_ELEMENT_ID } from './handoff.js';
export { BROWSER_DEFAULT_ALLOWED_EVENT_TYPES, METHOD_EVENT_TYPES } from '../core/consent.js';
export type { BlockedEvent, ConsentChoice, ConsentValue } from '../core/consent.js';
export { OptimizationError } from '../core/log.js';
export type { EntryDecision, ContentfulEntry } from '../core/resolve.js';
export type { Change, OptimizationData, Profile, SelectedOptimization } from '../core/wire.js';
