/**
 * All wire schemas (see wire.ts and wire-events.ts). Node code imports from here; browser code
 * imports `wire.ts` directly so the script-tag bundle only carries what it reads.
 */
export * from './wire-zod.js';
export * from './wire-events.js';
