/**
 * The statistics behind the emulator's experiment results: pure functions of counts, no DOM, no
 * IO, no randomness (the same counts always give the same figures).
 *
 * Model: each exposed visitor is one independent Bernoulli trial per goal — converted or not — with
 * an unknown rate per variant. Variants are compared with the baseline (variant 0) one at a time.
 *
 * - Rate per variant: Wilson score interval (Wilson 1927; Newcombe 1998a, method 3).
 * - Difference variant − baseline: Newcombe's hybrid score interval (Newcombe 1998b, method 10),
 *   built from the two Wilson intervals. Unlike the Wald interval it stays inside [−1, 1] and keeps
 *   close to its nominal coverage with small samples and rates near 0 or 1.
 * - Probability to beat the baseline: P(p_variant > p_baseline) under independent Beta(1, 1)
 *   (uniform) priors, i.e. Beta(1 + conversions, 1 + visitors − conversions) posteriors, computed
 *   exactly with the closed-form sum for integer parameters (Evan Miller, "Formulas for Bayesian
 *   A/B testing", 2015) — no sampling.
 * - Sample-ratio mismatch: Pearson's chi-square goodness of fit of visitors per variant against
 *   the shares the experience's `distribution` really assigns (see `assignmentShares`), flagged
 *   below p = 0.001 (the threshold of Fabijan et al., "Diagnosing Sample Ratio Mismatch in Online
 *   Controlled Experiments", KDD 2019).
 *
 * These are fixed-sample figures: reading them continuously and stopping when they look good
 * overstates the evidence (no correction for peeking or for many variants and goals).
 */

import { cumulativeRanges, pickRange, type DistributionRange } from '../core/bucketing.js';

/** The standard normal quantile for a two-sided 95 % interval. */
export const Z95 = 1.959963984540054;

/** Below this many exposed visitors, or conversions / non-conversions, in any compared variant, the comparison is not to be read yet. */
export const MIN_VISITORS = 50;
export const MIN_CONVERSIONS = 5;
/** Sample-ratio mismatch is flagged when the goodness-of-fit p-value is below this. */
export const SRM_THRESHOLD = 0.001;
/** The chi-square test needs at least this many expected visitors in every variant. */
export const SRM_MIN_EXPECTED = 5;

// ---------------------------------------------------------------------------------------------
// Special functions

const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** ln Γ(x) for x > 0 (Lanczos approximation, g = 7, n = 9; about 15 significant digits). */
export function logGamma(x: number): number {
  if (!(x > 0)) return Number.NaN;
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const y = x - 1;
  let a = LANCZOS[0]!;
  const t = y + 7.5;
  for (let i = 1; i < 9; i++) a += LANCZOS[i]! / (y + i);
  return 0.5 * Math.log(2 * Math.PI) + (y + 0.5) * Math.log(t) - t + Math.log(a);
}

/** ln B(a, b). */
export function logBeta(a: number, b: number): number {
  return logGamma(a) + logGamma(b) - logGamma(a + b);
}

const EPS = 1e-15;
const TINY = 1e-300;

/**
 * The regularized upper incomplete gamma function Q(a, x) = Γ(a, x) / Γ(a): its series for
 * x < a + 1, Lentz's continued fraction otherwise (Numerical Recipes, 2nd ed., §6.2).
 */
export function gammaQ(a: number, x: number): number {
  if (!(a > 0) || !(x >= 0)) return Number.NaN;
  if (x === 0) return 1;
  const front = Math.exp(-x + a * Math.log(x) - logGamma(a));
  if (x < a + 1) {
    let ap = a;
    let del = 1 / a;
    let sum = del;
    for (let n = 0; n < 10_000; n++) {
      ap += 1;
      del *= x / ap;
      sum += del;
      if (Math.abs(del) < Math.abs(sum) * EPS) break;
    }
    return Math.min(1, Math.max(0, 1 - sum * front));
  }
  let b = x + 1 - a;
  let c = 1 / TINY;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 10_000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < TINY) d = TINY;
    c = b + an / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < EPS) break;
  }
  return Math.min(1, Math.max(0, front * h));
}

/** P(X ≥ x) for X chi-square distributed with `df` degrees of freedom. */
export function chiSquareSurvival(x: number, df: number): number {
  if (!(df > 0)) return Number.NaN;
  return x <= 0 ? 1 : gammaQ(df / 2, x / 2);
}

// ---------------------------------------------------------------------------------------------
// Intervals

export interface Interval { lower: number; upper: number }

/** Wilson score interval for `successes` out of `trials` ([0, 1] when there are no trials). */
export function wilsonInterval(successes: number, trials: number, z = Z95): Interval {
  if (!(trials > 0)) return { lower: 0, upper: 1 };
  const p = successes / trials;
  const z2 = z * z;
  const denominator = 1 + z2 / trials;
  const centre = (p + z2 / (2 * trials)) / denominator;
  const half = (z * Math.sqrt((p * (1 - p)) / trials + z2 / (4 * trials * trials))) / denominator;
  // Exact at the ends: 0 successes has lower bound 0, all successes upper bound 1.
  return {
    lower: successes <= 0 ? 0 : Math.max(0, centre - half),
    upper: successes >= trials ? 1 : Math.min(1, centre + half),
  };
}

export interface Difference extends Interval { difference: number }

/**
 * Newcombe's hybrid score interval for p1 − p2 (x1 of n1 against x2 of n2); null without trials
 * on either side.
 */
export function newcombeInterval(x1: number, n1: number, x2: number, n2: number, z = Z95): Difference | null {
  if (!(n1 > 0) || !(n2 > 0)) return null;
  const p1 = x1 / n1;
  const p2 = x2 / n2;
  const w1 = wilsonInterval(x1, n1, z);
  const w2 = wilsonInterval(x2, n2, z);
  const difference = p1 - p2;
  return {
    difference,
    lower: Math.max(-1, difference - Math.sqrt((p1 - w1.lower) ** 2 + (w2.upper - p2) ** 2)),
    upper: Math.min(1, difference + Math.sqrt((w1.upper - p1) ** 2 + (p2 - w2.lower) ** 2)),
  };
}

// ---------------------------------------------------------------------------------------------
// Probability to beat the baseline

/**
 * P(X2 > X1) for independent X1 ~ Beta(a1, b1), X2 ~ Beta(a2, b2), with a2 a positive integer:
 * Σ_{i=0}^{a2−1} t(i), t(i) = B(a1 + i, b1 + b2) / ((b2 + i) · B(1 + i, b2) · B(a1, b1)). Takes a2 terms.
 *
 * Each term comes from the one before by its ratio t(i+1)/t(i) = (a1+i)(b2+i) / ((a1+b1+b2+i)(1+i)):
 * a multiplication per term instead of three ln Γ's, so 200,000 terms take under a millisecond
 * instead of tens to hundreds, on the thread that answers the API. The terms are kept relative to a
 * running scale whose logarithm starts at ln t(0): with thousands of visitors t(0) itself is far
 * below the smallest double.
 */
function betaExceeds(a1: number, b1: number, a2: number, b2: number): number {
  let logScale = logBeta(a1, b1 + b2) - logBeta(a1, b1); // ln t(0)
  let term = 1;
  let sum = 0;
  for (let i = 0; i < a2; i++) {
    sum += term;
    term *= ((a1 + i) * (b2 + i)) / ((a1 + b1 + b2 + i) * (1 + i));
    if (term > 1e200) {
      // Rescale before the terms (rising towards the posterior's mode) overflow.
      sum /= term;
      logScale += Math.log(term);
      term = 1;
    }
  }
  return Math.exp(Math.log(sum) + logScale);
}

/** Past this many terms the exact sum gives way to a normal approximation of the two posteriors. */
const MAX_EXACT_TERMS = 200_000;

function normalCdf(x: number): number {
  // Φ(x) = Q(1/2, x²/2) / 2 for x ≤ 0.
  const tail = 0.5 * gammaQ(0.5, (x * x) / 2);
  return x <= 0 ? tail : 1 - tail;
}

const isCount = (n: number) => Number.isInteger(n) && n >= 0;

/**
 * P(rate of the variant > rate of the baseline) with Beta(1, 1) priors: `xV` conversions of `nV`
 * visitors against `xB` of `nB` (NaN unless these are counts with x ≤ n).
 *
 * Two of the four closed-form sums give the answer itself — over the variant's conversions, or
 * (by the symmetry of Beta(a, b) and Beta(b, a)) over the baseline's non-conversions — and the
 * shorter of them is used when it fits in MAX_EXACT_TERMS: a sum of positive terms, precise also
 * for a tiny probability. Only when neither fits is it 1 − the complement's sum (over the
 * baseline's conversions or the variant's non-conversions), which is precise to about 1e-15
 * absolute, and past that the normal approximation.
 */
export function probabilityToBeat(xV: number, nV: number, xB: number, nB: number): number {
  if (!isCount(xV) || !isCount(nV) || !isCount(xB) || !isCount(nB) || xV > nV || xB > nB) return Number.NaN;
  const aB = 1 + xB;
  const bB = 1 + nB - xB;
  const aV = 1 + xV;
  const bV = 1 + nV - xV;
  let p: number;
  if (Math.min(aV, bB) <= MAX_EXACT_TERMS) {
    p = aV <= bB ? betaExceeds(aB, bB, aV, bV) : betaExceeds(bV, aV, bB, aB);
  } else if (Math.min(aB, bV) <= MAX_EXACT_TERMS) {
    p = 1 - (aB <= bV ? betaExceeds(aV, bV, aB, bB) : betaExceeds(bB, aB, bV, aV));
  } else {
    const mean = (a: number, b: number) => a / (a + b);
    const variance = (a: number, b: number) => (a * b) / ((a + b) ** 2 * (a + b + 1));
    p = normalCdf((mean(aV, bV) - mean(aB, bB)) / Math.sqrt(variance(aV, bV) + variance(aB, bB)));
  }
  return Math.min(1, Math.max(0, p));
}

// ---------------------------------------------------------------------------------------------
// Sample-ratio mismatch

export type SrmStatus = 'ok' | 'mismatch' | 'not-enough-data' | 'not-applicable';

export interface SrmResult {
  status: SrmStatus;
  chiSquare: number | null;
  df: number | null;
  /** Null when there is no test, or when visitors in impossible variants decide the mismatch. */
  pValue: number | null;
  /** Each variant's expected share of visitors (0 for a variant the assignment never picks). */
  expectedShares: number[];
  /** Visitors in a variant the assignment never picks (share 0, past the ranges, or an index the experience cannot have). */
  unexpectedVisitors: number;
}

/**
 * The share of visitors each variant really gets from `ranges`, as `pickRange` assigns a
 * distribution roll in [0, 1]: the first range holding the roll wins, and a roll past every range
 * goes to variant 0. So `[0.25, 0.25]` splits 75 / 25 (the baseline takes the remainder),
 * `[0.6, 0.6]` splits 60 / 40 (ranges are cut off at 1) and `[0, 0.5]` splits 50 / 50.
 */
export function assignmentShares(ranges: readonly DistributionRange[]): number[] {
  const size = Math.max(1, ...ranges.map((r) => r.index + 1));
  const shares = Array.from({ length: size }, () => 0);
  const clip = (x: number) => Math.min(1, Math.max(0, x));
  const cuts = [...new Set([0, 1, ...ranges.flatMap((r) => [r.start, r.end]).filter(Number.isFinite).map(clip)])].sort((a, b) => a - b);
  for (let k = 1; k < cuts.length; k++) {
    const lo = cuts[k - 1]!;
    const hi = cuts[k]!;
    // Between two cuts every roll lands in the same range; the cuts themselves have no width.
    shares[pickRange(ranges, (lo + hi) / 2)]! += hi - lo;
  }
  return shares;
}

/** `assignmentShares` of an `nt_config.distribution` (cumulative ranges, as the emulator and the preview panel build them). */
export function distributionShares(distribution: readonly number[]): number[] {
  return assignmentShares(cumulativeRanges(distribution));
}

/**
 * Visitors per variant (`observed[i]` for variant i) against the shares the assignment gives each
 * variant (`expectedShares`, from `assignmentShares`). A visitor in a variant that gets no share —
 * or one of `outOfRange` visitors in a variant index the experience cannot have — is a mismatch by
 * itself; otherwise Pearson's chi-square over the variants with a share, when each expects at
 * least `SRM_MIN_EXPECTED` visitors.
 */
export function sampleRatioMismatchShares(observed: readonly number[], expectedShares: readonly number[],
  { threshold = SRM_THRESHOLD, outOfRange = 0 }: { threshold?: number; outOfRange?: number } = {}): SrmResult {
  const size = Math.max(observed.length, expectedShares.length);
  const shares = Array.from({ length: size }, (_, i) => Math.max(0, expectedShares[i] ?? 0));
  const counts = Array.from({ length: size }, (_, i) => Math.max(0, observed[i] ?? 0));
  const unexpectedVisitors = Math.max(0, outOfRange) + counts.reduce((s, c, i) => s + (shares[i]! > 0 ? 0 : c), 0);
  const result = (status: SrmStatus, chiSquare: number | null = null, df: number | null = null, pValue: number | null = null): SrmResult =>
    ({ status, chiSquare, df, pValue, expectedShares: shares, unexpectedVisitors });
  if (unexpectedVisitors > 0) return result('mismatch');
  const cells = counts.map((c, i) => ({ c, share: shares[i]! })).filter((cell) => cell.share > 0);
  if (cells.length < 2) return result('not-applicable');
  const total = cells.reduce((s, cell) => s + cell.c, 0);
  const totalShare = cells.reduce((s, cell) => s + cell.share, 0);
  const expected = (cell: { share: number }) => (cell.share / totalShare) * total;
  if (cells.some((cell) => expected(cell) < SRM_MIN_EXPECTED)) return result('not-enough-data');
  const chiSquare = cells.reduce((s, cell) => s + (cell.c - expected(cell)) ** 2 / expected(cell), 0);
  const df = cells.length - 1;
  const pValue = chiSquareSurvival(chiSquare, df);
  return result(pValue < threshold ? 'mismatch' : 'ok', chiSquare, df, pValue);
}

/** `sampleRatioMismatchShares` against the shares an `nt_config.distribution` assigns. */
export function sampleRatioMismatch(observed: readonly number[], distribution: readonly number[], threshold = SRM_THRESHOLD): SrmResult {
  return sampleRatioMismatchShares(observed, distributionShares(distribution), { threshold });
}

// ---------------------------------------------------------------------------------------------
// One goal of one experience

export interface Arm { visitors: number; conversions: number }

export interface ArmComparison {
  rate: number | null;
  rateInterval: Interval | null;
  /** Against the baseline; null for the baseline itself or when either side has no visitors. */
  vsBaseline: (Difference & { probabilityToBeat: number }) | null;
}

/** Whether every arm has enough visitors, conversions and non-conversions to be read. */
export function enoughData(arms: readonly Arm[]): boolean {
  return arms.length >= 2 && arms.every((a) => a.visitors >= MIN_VISITORS && a.conversions >= MIN_CONVERSIONS
    && a.visitors - a.conversions >= MIN_CONVERSIONS);
}

/** Rates with their intervals, and each variant against `arms[0]` (the baseline). */
export function compareArms(arms: readonly Arm[], z = Z95): ArmComparison[] {
  const baseline = arms[0];
  return arms.map((arm, i) => {
    const rate = arm.visitors > 0 ? arm.conversions / arm.visitors : null;
    const rateInterval = arm.visitors > 0 ? wilsonInterval(arm.conversions, arm.visitors, z) : null;
    let vsBaseline: ArmComparison['vsBaseline'] = null;
    if (i > 0 && baseline) {
      const diff = newcombeInterval(arm.conversions, arm.visitors, baseline.conversions, baseline.visitors, z);
      if (diff) vsBaseline = { ...diff, probabilityToBeat: probabilityToBeat(arm.conversions, arm.visitors, baseline.conversions, baseline.visitors) };
    }
    return { rate, rateInterval, vsBaseline };
  });
}
