/**
 * The `ctfl-opt-aid` cookie: the one browser–server continuity channel. Always `Path=/`, readable
 * by script (a cookie written from script can never be HttpOnly), `SameSite=Lax`, `Secure` on https.
 */
import { cookiePairs } from '../core/text.js';

export { ANONYMOUS_ID_COOKIE } from '../core/constants.js';
export const LEGACY_ANONYMOUS_ID_COOKIE = 'ntaid';

export interface CookieOptions {
  domain?: string;
  /** `Max-Age`, in seconds (default 365 days); the config's `cookie.expires` (days) arrives converted. */
  maxAgeSeconds?: number;
  sameSite?: 'Lax' | 'Strict' | 'None';
  secure?: boolean;
}

export function readCookie(name: string, doc: Document = document): string | undefined {
  return readCookiesWithPrefix(name, doc, true)[0]?.[1];
}

/** All cookies whose name starts with `prefix` (or is exactly `prefix` when `exact`), decoded. */
export function readCookiesWithPrefix(prefix: string, doc: Document = document, exact = false): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  let all: string;
  try { all = doc.cookie; } catch { return out; }
  for (const [name, raw] of cookiePairs(all)) {
    if (exact ? name !== prefix : !name.startsWith(prefix)) continue;
    // Not percent-encoded properly (not written by this SDK): read as written, so the caller's
    // validation sees it and removes it instead of never noticing it.
    // A value in double quotes (RFC 6265 allows them) is read without them, as the server entry does.
    let value = /^"(.*)"$/.exec(raw)?.[1] ?? raw;
    try { value = decodeURIComponent(value); } catch { /* kept raw */ }
    out.push([name, value]);
  }
  return out;
}

const isHttps = (doc: Document) => {
  try { return doc.location?.protocol === 'https:'; } catch { return false; }
};

export function writeCookie(name: string, value: string, options: CookieOptions = {}, doc: Document = document): void {
  const sameSite = options.sameSite ?? 'Lax';
  // SameSite=None is only accepted with Secure; Secure whenever the page is https.
  const secure = options.secure ?? (isHttps(doc) || sameSite === 'None');
  let cookie = `${name}=${encodeURIComponent(value)}; Path=/; SameSite=${sameSite}`;
  cookie += `; Max-Age=${Math.max(0, Math.floor(options.maxAgeSeconds ?? 365 * 86400))}`;
  if (options.domain) cookie += `; Domain=${options.domain}`;
  if (secure) cookie += '; Secure';
  try { doc.cookie = cookie; } catch { /* cookies disabled: best effort */ }
}

export function removeCookie(name: string, options: Pick<CookieOptions, 'domain'> = {}, doc: Document = document): void {
  const expire = (domain?: string) => {
    try {
      doc.cookie = `${name}=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT${domain ? `; Domain=${domain}` : ''}`;
    } catch { /* best effort */ }
  };
  expire();
  if (options.domain) expire(options.domain);
}
