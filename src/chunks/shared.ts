/**
 * What the script-tag bundle shares with its lazily loaded chunks, so they reuse its single
 * runtime registry (the elements' base class, and the parts a chunk brings the runtime) instead of
 * carrying copies. The bundle stores this
 * under `ContentfulOptimization[SHARED]`; scripts/build.mjs points a chunk's imports of those modules
 * at it.
 */
import { BaseElement } from '../elements/base.js';
import { currentRuntime, onRuntime, provideRuntime } from '../browser/registry.js';
import { parts } from '../browser/parts.js';
import { routesPending } from '../browser/route-state.js';

export const SHARED = Symbol.for('ctfl-optimization.shared');

export const shared = { BaseElement, currentRuntime, onRuntime, provideRuntime, parts, routesPending };
export type Shared = typeof shared;
