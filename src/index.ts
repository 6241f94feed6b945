/** Package entry (browser ESM): the runtime class, constants and types. */
export * from './browser/index.js';
