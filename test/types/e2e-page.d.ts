// What the pages the end-to-end suites drive put on `window`, for the functions those suites run in
// the page (playwright's page.evaluate / waitForFunction / addInitScript) — type-checked in
// tsconfig.test-node.json with the DOM libs. The runtime is typed by the package's own declarations
// (dist/types, what the pages load is dist/ too): a property the runtime does not have is an error
// in a suite's page code as well.
import type { ContentfulOptimization, OptimizationConfig } from '@ctfl/optimization-elements';

type DroppedEvents = Parameters<NonNullable<OptimizationConfig['onDrop']>>[0];

declare global {
  interface Window {
    /** The script-tag bundle's instance (src/umd.ts), once it has loaded. */
    optimization: ContentfulOptimization;
    /** Read by the script-tag bundle before its script tag's data-* attributes. */
    ctflOptimizationConfig?: Partial<OptimizationConfig>;
    /** test/helpers/frame-probe.mjs: the hero's text in every animation frame. */
    __frames: string[];
    /** test/e2e/frameworks.test.mjs: the hero's visible headings in every animation frame. */
    __heroFrames: string[];
    /** test/helpers/site.mjs: a random id per document, to tell a reload or a restore from the same page. */
    __e2eDoc?: string;
    /** test/e2e/hardening-csp.test.mjs: the CSP violations the page reported. */
    __violations: string[];
    /** test/e2e/hardening-csp.test.mjs: set by an inline script the CSP must block. */
    __ran?: boolean;
    /** test/fixtures/delivery/index.html: what onDrop reported. */
    __drops: DroppedEvents[];
    /** test/e2e/results-simulated.test.mjs: one simulated visitor's page load. */
    __simLoad: (args: { experienceId: string; rates: number[] | null; draw: number }) => Promise<{ variant: number; converted: boolean }>;
  }
}

export {};
