/**
 * The runtime's public types: its state, results and options (the runtime itself is
 * optimization.ts). Elements and the preview panel read these without the runtime's code.
 */
import type { FailureReason } from '../core/api.js';
import type { BlockedEvent, ConsentValue } from '../core/consent.js';
import type { FlagViewPayload, HoverPayload, JsonRecord, ViewPayload } from '../core/events.js';
import type { IdentifyPayload, PagePayload, ScreenPayload, TrackPayload } from '../core/payloads.js';
import type { EntryDecision } from '../core/resolve.js';
import type { Change, OptimizationData, Profile as ProfileT, SelectedOptimization } from '../core/wire.js';
import type { DroppedEvents } from './config.js';

export type RequestState =
  | { readonly status: 'idle' }
  | { readonly status: 'pending' }
  | { readonly status: 'success'; readonly at: string }
  | { readonly status: 'failed'; readonly reason: FailureReason | 'invalid-data'; readonly code?: string; readonly httpStatus?: number; readonly message: string; readonly at: string };

export interface EmittedEvent {
  readonly api: 'experience' | 'insights';
  readonly type: string;
  readonly messageId: string;
  readonly at: string;
}

export interface OptimizationState {
  readonly profile: ProfileT | undefined;
  readonly selectedOptimizations: readonly SelectedOptimization[] | undefined;
  readonly changes: readonly Change[] | undefined;
  readonly consent: ConsentValue;
  readonly persistenceConsent: ConsentValue;
  /** The most recent blocked calls (newest last, at most 50). */
  readonly blockedEvents: readonly BlockedEvent[];
  /** The most recent events that left the consent gate (newest last, at most 50). */
  readonly events: readonly EmittedEvent[];
  readonly requestState: RequestState;
  readonly online: boolean;
  /** Preview overrides (`<ctfl-preview-panel>`), while it has any. */
  readonly overrides?: Overrides;
}

/**
 * Preview overrides: given the visitor's own state, the selected optimizations and changes to show
 * instead. Only the resolvers read them (`resolveEntry`, `getFlag`: what the elements show); they are
 * never stored, sent to an API or passed to another tab, and `states.selectedOptimizations` and
 * `states.changes` stay the visitor's own.
 */
export type Overrides = (own: OptimizationState) => {
  readonly selectedOptimizations?: readonly SelectedOptimization[];
  readonly changes?: readonly Change[];
};

/** A decision as shown; `override` when preview overrides made it differ from the visitor's own. */
export interface ShownDecision extends EntryDecision {
  readonly override?: boolean;
}

export interface EventResult {
  /**
   * True once the event was delivered, or is queued for delivery (offline, a retry). False when the
   * call was not in the method's form, the consent gate blocked it, it was purged before delivery,
   * or the API refused it.
   */
  readonly accepted: boolean;
  /** Present once the Experience API answered this event. */
  readonly data?: OptimizationData;
  /** Why an event was not taken: `invalid-call` (code E015) or the API's failure (its code, e.g. `ERR_INVALID_DATA`). */
  readonly error?: EventError;
}

export interface EventError {
  readonly reason: FailureReason | 'invalid-call';
  readonly code?: string;
  readonly status?: number;
  readonly message: string;
}

export interface TrackCurrentPageOptions {
  /** Identifies the route: a repeat of the key last reported sends nothing. */
  routeKey: string;
  /** `skip`: the first call only records its route (the load's page event already reported it). Default `emit`. */
  initialPageEvent?: 'emit' | 'skip';
  /** The page payload to send, built at the time of the call. */
  buildPayload?: () => PagePayload;
  properties?: JsonRecord;
}

export type { DroppedEvents, FlagViewPayload, HoverPayload, IdentifyPayload, PagePayload, ScreenPayload, TrackPayload, ViewPayload };
