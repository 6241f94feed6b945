/**
 * The local Experience API / Insights API emulator: `main(argv)` for the `ctfl-optimization` CLI,
 * `createEmulator(options)` for programmatic use (tests, `npm start`), and the pieces tests may
 * want to check directly.
 */
export { main, parseServeFlags, USAGE } from './cli.js';
export { createEmulator, matchRoute, REQUEST_LOG_BYTES, REQUEST_LOG_LIMIT, RESULTS_CACHE_SIZE, RESULTS_MAX_AGE_MS, type Emulator, type EmulatorOptions, type RequestLogEntry } from './server.js';
export { loadSpaceFile, parseSpace, emptySpace, type SpaceModel, type ExperienceModel } from './space.js';
export { cumulativeRanges, distributionRoll, pickRange, trafficRoll } from '../core/bucketing.js';
export { selectOptimizations, isExperienceMatch, variantsFor, changesFor } from './selection.js';
export { parseRules, ruleMatches, rulesMatch, testCondition, OPERATORS } from './audiences.js';
export { escapeHtml, renderDashboard, toHtml, DASHBOARD_CSP } from './dashboard.js';
export { computeResults, unevaluableOf, type ResultsResponse, type ExperienceResult, type GoalResult } from './results.js';
export {
  assignmentShares, chiSquareSurvival, compareArms, distributionShares, enoughData, gammaQ, logBeta, logGamma, newcombeInterval,
  probabilityToBeat, sampleRatioMismatch, sampleRatioMismatchShares, wilsonInterval, MIN_CONVERSIONS, MIN_VISITORS, SRM_THRESHOLD, Z95,
} from './stats.js';
export { MAX_EXPERIENCE_PER_NAMESPACE, MAX_INSIGHTS_PER_NAMESPACE, MAX_MESSAGE_IDS_PER_NAMESPACE, MAX_SUMMARY_ENTRIES } from './store.js';
export { chance, pValueText, srmText } from './results-format.js';
export { decodeLog, encodeLine } from './persistence.js';
export { ApiError, CliError, CLI_CODES } from './errors.js';
