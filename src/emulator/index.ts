/**
 * `@ctfl/optimization-elements/emulator`: the local Experience API / Insights API emulator —
 * `main(argv)` for the `ctfl-optimization` CLI, `createEmulator(options)` for programmatic use
 * (tests, `npm start`) and the space loaders it takes. Every name here is in the README's "Exports"
 * table (test/node/exports.test.mjs); the emulator's parts (rules, statistics, store) are internal.
 */
export { main } from './cli.js';
export { createEmulator, type Emulator, type EmulatorOptions } from './server.js';
export { emptySpace, loadSpaceFile, parseSpace, type SpaceModel } from './space.js';
export { CliError } from './errors.js';
