/**
 * What the script-tag bundle shares with its lazily loaded chunks, so they reuse its single
 * runtime registry (and lit's ReactiveElement) instead of carrying copies. The bundle stores this
 * under `ContentfulOptimization[SHARED]`; scripts/build.mjs points a chunk's imports of those modules
 * at it.
 */
import { ReactiveElement } from '@lit/reactive-element';
import { currentRuntime, onRuntime, provideRuntime } from '../browser/registry.js';

export const SHARED = Symbol.for('ctfl-optimization.shared');

export const shared = { ReactiveElement, currentRuntime, onRuntime, provideRuntime };
export type Shared = typeof shared;
