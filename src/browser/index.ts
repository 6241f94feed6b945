/**
 * The browser runtime's public surface: the `ContentfulOptimization` class, the cookie's name, the
 * error class and the types of its options, payloads, results and state. Every name here is in the
 * README's "Exports" table (test/node/exports.test.mjs); what is not here is internal.
 */
export { ContentfulOptimization } from './optimization.js';
export type { RuntimeDependencies } from './optimization.js';
export type {
  EmittedEvent, EventError, EventResult, FlagViewPayload, HoverPayload, IdentifyPayload, OptimizationState, PagePayload,
  RequestState, ScreenPayload, ShownDecision, TrackCurrentPageOptions, TrackPayload, ViewPayload,
} from './types.js';
export type { DroppedEvents, OptimizationConfig } from './config.js';
export { ANONYMOUS_ID_COOKIE } from './cookies.js';
export type { BlockedEvent, ConsentChoice, ConsentValue } from '../core/consent.js';
export { OptimizationError } from '../core/log.js';
export type { EntryDecision, ContentfulEntry } from '../core/resolve.js';
export type { Change, OptimizationData, Profile, SelectedOptimization } from '../core/wire.js';
