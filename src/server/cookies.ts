/**
 * The `ctfl-opt-aid` cookie on the server side: read it from a `Cookie` header, write it as a
 * `Set-Cookie` value, clear it. The browser runtime must be able to read and adopt it, so it is never
 * HttpOnly, always `Path=/` unless you say otherwise, and `SameSite=Lax` (profile-synchronization.txt,
 * "Common pitfalls"). Writing it is the application's decision: only when the request's persistence
 * consent is true (`RequestOptimization#canPersistProfile`).
 */
import { ANONYMOUS_ID_COOKIE } from '../core/constants.js';
import { OptimizationError } from '../core/log.js';
import { ProfileId } from '../core/schemas.js';
import { cookiePairs } from '../core/text.js';

export { ANONYMOUS_ID_COOKIE };

/** 365 days, like the browser runtime's own write. */
export const ANONYMOUS_ID_MAX_AGE_SECONDS = 365 * 24 * 60 * 60;

/** A registrable host name or IP-free domain (optionally with a leading dot); ASCII only (use punycode). */
const DOMAIN = /^\.?(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
/** A cookie path: starts with `/`, printable ASCII without `;` (which would start a new attribute). */
const PATH = /^\/[\x21-\x3A\x3C-\x7E]{0,1023}$/;

export type CookieHeader = string | readonly string[] | null | undefined;

/** A cookie name (an RFC 6265 token): no `=`, `;`, space or other separator. */
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const isCookieName = (v: unknown): v is string => typeof v === 'string' && COOKIE_NAME.test(v);

/**
 * The value of cookie `name` in a `Cookie` request header (the first one, as browsers send the most
 * specific first), percent-decoded; undefined when absent or undecodable. The name first, where it
 * is read from last, as in the browser (`readCookie(name, doc)`) and `readAnonymousId(cookieHeader)`.
 */
export function readCookie(name: string, cookieHeader: CookieHeader): string | undefined;
/** @deprecated The header first is the order of 0.1; pass the name first: `readCookie(name, cookieHeader)`. */
export function readCookie(cookieHeader: CookieHeader, name: string): string | undefined;
export function readCookie(first: unknown, second: unknown): string | undefined {
  // The deprecated order (header, name) is told apart by its second argument: a name, where a
  // header is not one (a header with a cookie holds "="). When both could be names, the "header"
  // holds no cookie and either reading gives undefined.
  const [name, header] = isCookieName(second) && !isCookieName(first) ? [second, first] : [first, second];
  for (const value of readCookies(header as CookieHeader, name as string)) return value;
  return undefined;
}

function* readCookies(cookieHeader: CookieHeader, name: string): Generator<string> {
  const headers = typeof cookieHeader === 'string' ? [cookieHeader] : Array.isArray(cookieHeader) ? cookieHeader : [];
  for (const header of headers) {
    if (typeof header !== 'string') continue;
    for (const [key, value] of cookiePairs(header)) {
      if (key !== name) continue;
      let raw = value;
      if (raw.length >= 2 && raw.startsWith('"') && raw.endsWith('"')) raw = raw.slice(1, -1);
      try { yield decodeURIComponent(raw); } catch { /* not percent-encoded properly: not a value */ }
    }
  }
}

/**
 * The profile id in `ctfl-opt-aid`, or undefined. Values that are not a profile id (markup,
 * `x; Path=/`, 10 KB of junk, non-ASCII) are treated as no cookie at all; when several cookies of
 * that name arrive (another path or domain), the first valid one wins.
 */
export function readAnonymousId(cookieHeader: CookieHeader): string | undefined {
  for (const value of readCookies(cookieHeader, ANONYMOUS_ID_COOKIE)) {
    if (ProfileId.safeParse(value).success) return value;
  }
  return undefined;
}

export interface AnonymousIdCookieOptions {
  /** Add `Secure`: pass true when the site is served over https. */
  secure?: boolean;
  /** Lifetime in seconds (default 365 days). */
  maxAgeSeconds?: number;
  /** `Domain=`: set it when pages on several subdomains must share the profile; otherwise host-only. */
  domain?: string;
  /** `Path=` (default `/`). The browser runtime always writes `Path=/`; another path makes two cookies. */
  path?: string;
}

/** Validated `Domain`/`Path`/`Secure`, composed around `Max-Age` in the order browsers show them. */
function compose(value: string, maxAge: string, options: Pick<AnonymousIdCookieOptions, 'domain' | 'path' | 'secure'>, fn: string): string {
  if (options === null || typeof options !== 'object') {
    throw new OptimizationError('E059', `${fn}: options must be an object`);
  }
  const { domain, path = '/', secure } = options;
  if (typeof path !== 'string' || !PATH.test(path)) {
    throw new OptimizationError('E059', `${fn}: path must start with "/" and hold printable ASCII without ";"`);
  }
  if (domain !== undefined && (typeof domain !== 'string' || !DOMAIN.test(domain))) {
    throw new OptimizationError('E059', `${fn}: domain must be a host name such as "example.com" or ".example.com" (ASCII; punycode for international names)`);
  }
  if (secure !== undefined && typeof secure !== 'boolean') {
    throw new OptimizationError('E059', `${fn}: secure must be a boolean`);
  }
  return `${ANONYMOUS_ID_COOKIE}=${value}; Path=${path}${domain ? `; Domain=${domain}` : ''}; ${maxAge}; SameSite=Lax${secure ? '; Secure' : ''}`;
}

/**
 * A `Set-Cookie` value that stores `profileId` in `ctfl-opt-aid`: `Path=/`, `Max-Age`,
 * `SameSite=Lax`, `Secure` when asked, never `HttpOnly` (the browser runtime must read it).
 * Throws E059 for an id that is not a profile id or an invalid attribute — so a value from a request
 * can never inject attributes or a header.
 */
export function anonymousIdCookie(profileId: string, options: AnonymousIdCookieOptions = {}): string {
  if (!ProfileId.safeParse(profileId).success) {
    throw new OptimizationError('E059', 'anonymousIdCookie: the id is not a profile id (1–128 characters of A–Z, a–z, 0–9, "_" or "-"); pass the profile.id the Experience API returned');
  }
  const maxAge = options?.maxAgeSeconds ?? ANONYMOUS_ID_MAX_AGE_SECONDS;
  if (typeof maxAge !== 'number' || !Number.isInteger(maxAge) || maxAge < 0) {
    throw new OptimizationError('E059', 'anonymousIdCookie: maxAgeSeconds must be a whole number of seconds, 0 or more');
  }
  return compose(profileId, `Max-Age=${maxAge}`, options, 'anonymousIdCookie');
}

/**
 * A `Set-Cookie` value that removes `ctfl-opt-aid` (on consent revocation). Pass the same `domain`
 * and `path` it was written with; a cookie set with a `Domain` and one without are two cookies.
 */
export function clearAnonymousIdCookie(options: Omit<AnonymousIdCookieOptions, 'maxAgeSeconds'> = {}): string {
  return compose('', 'Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT', options, 'clearAnonymousIdCookie');
}
