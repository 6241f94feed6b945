/**
 * What the script-tag bundle shares with its lazily loaded chunks, so they reuse its single
 * runtime registry (and the elements' base class) instead of carrying copies. The bundle stores this
 * under `ContentfulOptimization[SHARED]`; scripts/build.mjs points a chunk's imports of those modules
 * at it.
 */
import { BaseElement } from '../elements/base.js';
import { currentRuntime, onRuntime, provideRuntime } from '../browser/registry.js';

export const SHARED = Symbol.for('ctfl-optimization.shared');

export const shared = { BaseElement, currentRuntime, onRuntime, provideRuntime };
export type Shared = typeof shared;
