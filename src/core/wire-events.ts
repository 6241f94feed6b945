/**
 * Event and request shapes of the Experience API v2 and the Insights API v1, and the Contentful
 * content model of experiences. Validated by the emulator and the server entry.
 */
import * as z from 'zod/mini';
import { Json, JsonObject, oneOf, PageContext, Profile, ProfileId, Query, Handle, StateEntry } from './wire-zod.js';

/** A `state:store` handle as the emulator writes it (the SDK validates each entry on its own). */
export const StateStoreHandle = z.object({
  type: oneOf('state:store'),
  payload: z.array(StateEntry),
});
export type StateStoreHandle = z.infer<typeof StateStoreHandle>;

const IsoTimestamp = z.string().check(z.minLength(1), z.maxLength(64));

// ---------------------------------------------------------------------------------------------
// Events

export const PageProperties = z.looseObject({
  path: z.string(),
  query: Query,
  referrer: z.string(),
  search: z.string(),
  title: z.string(),
  url: z.string(),
});
export type PageProperties = z.infer<typeof PageProperties>;

export const Campaign = z.looseObject({
  name: z.optional(z.string()),
  source: z.optional(z.string()),
  medium: z.optional(z.string()),
  term: z.optional(z.string()),
  content: z.optional(z.string()),
});

export const EventContext = z.looseObject({
  app: z.optional(z.looseObject({ name: z.string(), version: z.string() })),
  campaign: z.optional(Campaign),
  gdpr: z.optional(z.looseObject({ isConsentGiven: z.boolean() })),
  library: z.optional(z.looseObject({ name: z.optional(z.string()), version: z.optional(z.string()) })),
  locale: z.optional(z.string()),
  userAgent: z.optional(z.string()),
  page: z.optional(z.looseObject({
    path: z.optional(z.string()),
    query: z.optional(Query),
    referrer: z.optional(z.string()),
    search: z.optional(z.string()),
    url: z.optional(z.string()),
  })),
  screen: z.optional(z.looseObject({ name: z.string() })),
  location: z.optional(z.looseObject({})),
});
export type EventContext = z.infer<typeof EventContext>;

export const Channel = z.enum(['web', 'server', 'mobile']);

const eventBase = {
  channel: Channel,
  messageId: z.string().check(z.minLength(1), z.maxLength(128)),
  originalTimestamp: IsoTimestamp,
  sentAt: IsoTimestamp,
  timestamp: IsoTimestamp,
  userId: z.optional(z.string().check(z.maxLength(256))),
  anonymousId: z.optional(z.string()),
  context: EventContext,
};

export const PageEvent = z.looseObject({
  ...eventBase,
  type: z.literal('page'),
  name: z.optional(z.string()),
  properties: PageProperties,
});

export const IdentifyEvent = z.looseObject({
  ...eventBase,
  type: z.literal('identify'),
  userId: z.optional(z.string().check(z.maxLength(256))),
  traits: JsonObject,
});

export const TrackEvent = z.looseObject({
  ...eventBase,
  type: z.literal('track'),
  event: z.string().check(z.minLength(1), z.maxLength(256)),
  properties: z.optional(JsonObject),
});

export const ScreenEvent = z.looseObject({
  ...eventBase,
  type: z.literal('screen'),
  name: z.string(),
  properties: z.optional(JsonObject),
});

export const ComponentType = z.enum(['Entry', 'Variable']);

const componentFields = {
  componentType: ComponentType,
  componentId: z.string().check(z.minLength(1), z.maxLength(256)),
  experienceId: z.optional(z.string()),
  variantIndex: z.int().check(z.minimum(0)),
};

/** A view. Sent to the Experience API only for sticky views; always to Insights. */
export const ComponentViewEvent = z.looseObject({
  ...eventBase,
  type: z.literal('component'),
  ...componentFields,
  viewId: z.optional(z.string()),
  viewDurationMs: z.optional(z.number().check(z.minimum(0))),
});

export const ComponentClickEvent = z.looseObject({
  ...eventBase,
  type: z.literal('component_click'),
  ...componentFields,
});

export const ComponentHoverEvent = z.looseObject({
  ...eventBase,
  type: z.literal('component_hover'),
  ...componentFields,
  hoverId: z.optional(z.string()),
  hoverDurationMs: z.optional(z.number().check(z.minimum(0))),
});

/** Events the Experience API accepts. */
export const ExperienceEvent = z.discriminatedUnion('type', [
  PageEvent, IdentifyEvent, TrackEvent, ScreenEvent, ComponentViewEvent,
]);
export type ExperienceEvent = z.infer<typeof ExperienceEvent>;

/** Events the Insights API accepts. */
export const InsightsEvent = z.discriminatedUnion('type', [
  ComponentViewEvent, ComponentClickEvent, ComponentHoverEvent,
]);
export type InsightsEvent = z.infer<typeof InsightsEvent>;

export type PageEvent = z.infer<typeof PageEvent>;
export type IdentifyEvent = z.infer<typeof IdentifyEvent>;
export type TrackEvent = z.infer<typeof TrackEvent>;
export type ScreenEvent = z.infer<typeof ScreenEvent>;
export type ComponentViewEvent = z.infer<typeof ComponentViewEvent>;
export type ComponentClickEvent = z.infer<typeof ComponentClickEvent>;
export type ComponentHoverEvent = z.infer<typeof ComponentHoverEvent>;

export const EVENT_TYPES = ['page', 'identify', 'track', 'screen', 'component', 'component_click', 'component_hover'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export const RequestMeta = z.looseObject({
  state: z.optional(z.looseObject({
    entries: z.optional(z.array(z.object({ key: z.string(), value: z.optional(z.string()) }))),
    cookiesEnabled: z.optional(z.boolean()),
    domain: z.optional(z.string()),
  })),
});

// ---------------------------------------------------------------------------------------------
// Experience API requests

export const FEATURES = ['ip-enrichment', 'location'] as const;

export const RequestOptions = z.looseObject({
  features: z.optional(z.array(z.string())),
});

export const ExperienceRequestBody = z.looseObject({
  events: z.array(ExperienceEvent).check(z.minLength(1), z.maxLength(200)),
  options: z.optional(RequestOptions),
  meta: z.optional(RequestMeta),
});
export type ExperienceRequestBody = z.infer<typeof ExperienceRequestBody>;

/** The server-side batch: every event names its profile through `anonymousId`. */
export const BatchRequestBody = z.looseObject({
  events: z.array(z.intersection(ExperienceEvent, z.looseObject({ anonymousId: z.string().check(z.minLength(1)) })))
    .check(z.minLength(1), z.maxLength(200)),
  options: z.optional(RequestOptions),
  meta: z.optional(RequestMeta),
});

// ---------------------------------------------------------------------------------------------
// Insights API

export const InsightsBatch = z.array(z.looseObject({
  profile: z.looseObject({ id: ProfileId }),
  events: z.array(InsightsEvent).check(z.minLength(1), z.maxLength(1000)),
})).check(z.minLength(1), z.maxLength(100));
export type InsightsBatch = z.infer<typeof InsightsBatch>;

// ---------------------------------------------------------------------------------------------
// Content model (as delivered by the Contentful Delivery API, and as resolved by the SDK)

export const EntryReplacementComponent = z.looseObject({
  type: z.optional(z.literal('EntryReplacement')),
  baseline: z.looseObject({ id: z.string(), hidden: z.optional(z.boolean()) }),
  variants: z.array(z.looseObject({ id: z.string(), hidden: z.optional(z.boolean()) })),
});

export const InlineVariableComponent = z.looseObject({
  type: z.literal('InlineVariable'),
  key: z.string(),
  valueType: z.enum(['Boolean', 'Number', 'Object', 'String']),
  baseline: z.looseObject({ value: z.nullable(Json) }),
  variants: z.array(z.looseObject({ value: z.nullable(Json) })),
});

export const ExperienceComponent = z.union([InlineVariableComponent, EntryReplacementComponent]);

export const ExperienceConfig = z.looseObject({
  traffic: z.number().check(z.minimum(0), z.maximum(1)),
  distribution: z.array(z.number().check(z.minimum(0), z.maximum(1))),
  sticky: z.optional(z.boolean()),
  components: z.array(ExperienceComponent),
});
export type ExperienceConfig = z.infer<typeof ExperienceConfig>;

// ---------------------------------------------------------------------------------------------
// Shapes only the emulator and the server use

export const ErrorCode = z.enum([
  'ERR_INVALID_DATA', 'ERR_CONFIG_NOT_FOUND', 'ERR_PROFILE_NOT_FOUND', 'ERR_NAMESPACE_MISMATCH',
  'ERR_PROFILE_OVERLOAD', 'ERR_INTERNAL_SERVER_ERROR', 'ERR_NOT_FOUND', 'ERR_PAYLOAD_TOO_LARGE',
  'ERR_SERVICE_UNAVAILABLE',
]);
export type ErrorCode = z.infer<typeof ErrorCode>;

export const BatchResponseEnvelope = z.looseObject({
  data: z.looseObject({ profiles: z.array(Profile) }),
  message: z.string(),
  error: z.null(),
});

