/**
 * Builders for the wire events of wire-format.md. Pure: the caller passes the context pieces the
 * runtime knows (page, locale, user agent, consent, library), so the browser and the server share them.
 */
import type { Json } from './wire.js';
import type { PageProperties } from './wire-events.js';

export interface PageInfo {
  path: string;
  query: Record<string, string>;
  referrer: string;
  search: string;
  url: string;
  title?: string;
}

export interface EventBase {
  channel: 'web' | 'server' | 'mobile';
  locale: string;
  userAgent?: string;
  page?: PageInfo;
  app?: { name: string; version: string };
  library: { name: string; version: string };
  isConsentGiven: boolean;
  screen?: { name: string };
  now?: () => Date;
  uuid?: () => string;
}

export function uuid(): string {
  const c = globalThis.crypto;
  if (c?.randomUUID) return c.randomUUID();
  const b = new Uint8Array(16);
  c.getRandomValues(b);
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

const UTM = ['campaign', 'source', 'medium', 'term', 'content'] as const;

/** `context.campaign` from the `utm_*` query parameters (`utm_campaign` → `name`). */
export function campaignFrom(query: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!query) return out;
  for (const k of UTM) {
    const v = query[`utm_${k}`];
    if (typeof v === 'string' && v) out[k === 'campaign' ? 'name' : k] = v;
  }
  return out;
}

export function queryFrom(search: string): Record<string, string> {
  const out: Record<string, string> = {};
  try {
    new URLSearchParams(search).forEach((v, k) => { if (!(k in out)) out[k] = v; });
  } catch { /* malformed search strings yield no query */ }
  return out;
}

function base(type: string, b: EventBase, extra: Record<string, unknown>) {
  const ts = (b.now ? b.now() : new Date()).toISOString();
  const page = b.page
    ? { path: b.page.path, query: b.page.query, referrer: b.page.referrer, search: b.page.search, url: b.page.url }
    : undefined;
  const context: Record<string, unknown> = {
    gdpr: { isConsentGiven: b.isConsentGiven },
    library: b.library,
    locale: b.locale,
  };
  if (b.app) context.app = b.app;
  const campaign = campaignFrom(b.page?.query);
  if (Object.keys(campaign).length) context.campaign = campaign;
  if (b.userAgent) context.userAgent = b.userAgent;
  if (page) context.page = page;
  if (b.screen) context.screen = b.screen;
  return {
    type,
    channel: b.channel,
    messageId: (b.uuid ?? uuid)(),
    originalTimestamp: ts,
    sentAt: ts,
    timestamp: ts,
    context,
    ...extra,
  };
}

export type JsonRecord = Record<string, Json>;

export function buildPageEvent(b: EventBase, properties: Partial<PageProperties> & JsonRecord = {}, userId?: string) {
  const p = b.page;
  const props = {
    path: p?.path ?? '/', query: p?.query ?? {}, referrer: p?.referrer ?? '', search: p?.search ?? '',
    title: p?.title ?? '', url: p?.url ?? '', ...properties,
  };
  return base('page', b, { properties: props, ...(userId ? { userId } : {}) });
}

export function buildIdentifyEvent(b: EventBase, userId: string | undefined, traits: JsonRecord = {}) {
  return base('identify', b, { ...(userId ? { userId } : {}), traits });
}

export function buildTrackEvent(b: EventBase, event: string, properties: JsonRecord = {}) {
  return base('track', b, { event, properties });
}

export function buildScreenEvent(b: EventBase, name: string, properties: JsonRecord = {}) {
  return base('screen', { ...b, screen: { name } }, { name, properties });
}

export interface ComponentPayload {
  componentType?: 'Entry' | 'Variable';
  componentId: string;
  experienceId?: string;
  variantIndex?: number;
}

function componentFields(p: ComponentPayload) {
  return {
    componentType: p.componentType ?? 'Entry',
    componentId: p.componentId,
    ...(p.experienceId ? { experienceId: p.experienceId } : {}),
    variantIndex: p.variantIndex ?? 0,
  };
}

export interface ViewPayload extends ComponentPayload {
  viewId?: string;
  viewDurationMs?: number;
  /** Send the view to the Experience API too (sticky experiences). Defaults to the selection's `sticky`. */
  sticky?: boolean;
}
export interface HoverPayload extends ComponentPayload { hoverId?: string; hoverDurationMs?: number }
export interface FlagViewPayload { componentId: string; experienceId?: string; variantIndex?: number }

export function buildViewEvent(b: EventBase, p: ComponentPayload & { viewId?: string; viewDurationMs?: number }) {
  return base('component', b, {
    ...componentFields(p),
    ...(p.viewId ? { viewId: p.viewId } : {}),
    ...(typeof p.viewDurationMs === 'number' ? { viewDurationMs: Math.round(p.viewDurationMs) } : {}),
  });
}

export function buildClickEvent(b: EventBase, p: ComponentPayload) {
  return base('component_click', b, componentFields(p));
}

export function buildHoverEvent(b: EventBase, p: ComponentPayload & { hoverId?: string; hoverDurationMs?: number }) {
  return base('component_hover', b, {
    ...componentFields(p),
    ...(p.hoverId ? { hoverId: p.hoverId } : {}),
    ...(typeof p.hoverDurationMs === 'number' ? { hoverDurationMs: Math.round(p.hoverDurationMs) } : {}),
  });
}
