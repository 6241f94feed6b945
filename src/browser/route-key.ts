/** A route: its path and query (a hash change is no new route). A module of its own: the script-tag bundle and its deferred chunk each carry this line. */
export const routeKeyOf = (loc: Location) => loc.pathname + loc.search;
