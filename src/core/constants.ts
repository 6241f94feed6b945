/**
 * Names shared by the browser runtime and the server entry. They are part of the browser–server
 * contract (profile-synchronization.txt), so they live once, here, where neither side owns them.
 */

/** The readable first-party cookie that carries the profile id between server and browser. */
export const ANONYMOUS_ID_COOKIE = 'ctfl-opt-aid';

/** The id of the `<script type="application/json">` element a server hands OptimizationData in. */
export const HANDOFF_ELEMENT_ID = 'ctfl-optimization-data';
