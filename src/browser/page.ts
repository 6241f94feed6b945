/** Page context for events, read from the live document. */
import { queryFrom, type PageInfo } from '../core/events.js';

export function currentPage(win: Window = window): PageInfo {
  const loc = win.location;
  return {
    path: loc.pathname,
    query: queryFrom(loc.search),
    referrer: win.document.referrer,
    search: loc.search,
    url: loc.href,
    title: win.document.title,
  };
}
