/** Package entry (browser ESM): the runtime class, the elements, constants and types — README "Exports". */
export * from './browser/index.js';
export * from './elements/index.js';
export { trackRouteChanges } from './browser/navigation.js';
