// The statistics of the emulator's experiment results (src/emulator/stats.ts, internal to the
// emulator: bundled from the sources), checked against published worked examples and against independent
// computations written differently here: bisection on the score statistic, Monte Carlo with a
// seeded PRNG, numeric integration, a textbook erfc approximation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { importTsAll } from '../helpers/bundle-ts.mjs';
import { prng } from '../helpers/prng.mjs';

const emulator = await importTsAll('src/emulator/stats.ts', 'src/emulator/results-format.ts', 'src/core/bucketing.ts');
const {
  chiSquareSurvival, compareArms, cumulativeRanges, enoughData, logGamma, newcombeInterval, pickRange, probabilityToBeat,
  sampleRatioMismatch, wilsonInterval, MIN_CONVERSIONS, MIN_VISITORS, SRM_THRESHOLD,
} = emulator;

const near = (actual, expected, tolerance, what) =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: ${actual} is not within ${tolerance} of ${expected}`);
const round4 = (x) => Math.round(x * 1e4) / 1e4;


test('ln Γ: factorials and Γ(1/2) = √π', () => {
  let factorial = 1;
  for (let n = 1; n <= 20; n++) {
    near(logGamma(n + 1), Math.log((factorial *= n)), 1e-12 * Math.max(1, Math.log(factorial)), `ln ${n}!`);
  }
  near(logGamma(0.5), Math.log(Math.sqrt(Math.PI)), 1e-13, 'ln Γ(1/2)');
  near(logGamma(101), 363.73937555556347, 1e-10, 'ln 100!');
});

test('Wilson interval: Newcombe (1998a) Table I, and the score equation solved by bisection', () => {
  // Newcombe, "Two-sided confidence intervals for the single proportion: comparison of seven
  // methods", Statistics in Medicine 17:857–872 (1998), Table I, method 3 (score, no correction).
  const published = [
    [81, 263, 0.2553, 0.3662],
    [15, 148, 0.0624, 0.1605],
    [0, 20, 0, 0.1611],
    [1, 29, 0.0061, 0.1718],
  ];
  for (const [x, n, lower, upper] of published) {
    const w = wilsonInterval(x, n);
    assert.deepEqual([round4(w.lower), round4(w.upper)], [lower, upper], `${x}/${n}`);
  }
  // Independently: the bounds are the p where |x/n − p| = z·√(p(1−p)/n).
  const z = 1.959963984540054;
  const score = (x, n, p) => Math.abs(x / n - p) - z * Math.sqrt((p * (1 - p)) / n);
  const bisect = (f, lo, hi) => { for (let i = 0; i < 200; i++) { const mid = (lo + hi) / 2; if (Math.sign(f(mid)) === Math.sign(f(lo))) lo = mid; else hi = mid; } return (lo + hi) / 2; };
  for (const [x, n] of [[3, 10], [47, 120], [999, 1000], [12, 5000]]) {
    const w = wilsonInterval(x, n);
    const p = x / n;
    near(w.lower, bisect((q) => score(x, n, q), 1e-12, p), 1e-9, `lower ${x}/${n}`);
    near(w.upper, bisect((q) => score(x, n, q), p, 1 - 1e-12), 1e-9, `upper ${x}/${n}`);
  }
  assert.deepEqual(wilsonInterval(0, 0), { lower: 0, upper: 1 }, 'no trials say nothing');
});

test('difference of rates: Newcombe (1998b) Table II method 10, and Fagerland et al. (2017)', () => {
  // Newcombe, "Interval estimation for the difference between independent proportions: comparison
  // of eleven methods", Statistics in Medicine 17:873–890 (1998), Table II, method 10.
  const published = [
    [56, 70, 48, 80, 0.0524, 0.3339],
    [9, 10, 3, 10, 0.1705, 0.8090],
    [5, 56, 0, 29, -0.0381, 0.1926],
    [0, 10, 0, 20, -0.1611, 0.2775],
    [10, 10, 0, 20, 0.6791, 1.0],
  ];
  for (const [x1, n1, x2, n2, lower, upper] of published) {
    const d = newcombeInterval(x1, n1, x2, n2);
    assert.deepEqual([round4(d.lower), round4(d.upper)], [lower, upper], `${x1}/${n1} − ${x2}/${n2}`);
    near(d.difference, x1 / n1 - x2 / n2, 1e-15, 'the point estimate');
  }
  // Fagerland, Lydersen & Laake, "Statistical Analysis of Contingency Tables" (2017), chapter 4:
  // high vs standard dose of epinephrine (Perondi et al. 2004), 7/34 vs 1/34 survived:
  // Newcombe hybrid score 0.1765 (95 % CI 0.0189 to 0.3404).
  const perondi = newcombeInterval(7, 34, 1, 34);
  assert.deepEqual([round4(perondi.difference), round4(perondi.lower), round4(perondi.upper)], [0.1765, 0.0189, 0.3404]);
  assert.equal(newcombeInterval(1, 10, 0, 0), null, 'no baseline visitors: no interval');
});

test('the 95 % interval covers the true difference in about 95 % of 4,000 simulated experiments (seeded)', () => {
  const random = prng(20260101);
  const binomial = (n, p) => { let x = 0; for (let i = 0; i < n; i++) if (random() < p) x++; return x; };
  for (const [p0, p1, n] of [[0.10, 0.15, 200], [0.02, 0.05, 400], [0.5, 0.5, 60]]) {
    let covered = 0;
    const runs = 4000 / 3 | 0;
    for (let run = 0; run < runs; run++) {
      const d = newcombeInterval(binomial(n, p1), n, binomial(n, p0), n);
      if (d.lower <= p1 - p0 && p1 - p0 <= d.upper) covered++;
    }
    const rate = covered / runs;
    assert.ok(rate > 0.93 && rate < 0.975, `coverage ${rate} for ${p1} vs ${p0}, n = ${n}`);
  }
});

/**
 * P(variant > baseline) by Monte Carlo: Beta(a, b) as Ga / (Ga + Gb), each gamma variate drawn with
 * Marsaglia & Tsang's method (2000) from Box–Muller normals.
 */
function monteCarloBeat(xV, nV, xB, nB, draws, seed) {
  const random = prng(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const gamma = (k) => {
    const d = k - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      let x; let v;
      do { x = normal(); v = 1 + c * x; } while (v <= 0);
      v = v * v * v;
      const u = 1 - random();
      if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
    }
  };
  const beta = (a, b) => { const g = gamma(a); return g / (g + gamma(b)); };
  let wins = 0;
  for (let i = 0; i < draws; i++) if (beta(1 + xV, 1 + nV - xV) > beta(1 + xB, 1 + nB - xB)) wins++;
  return wins / draws;
}

/** The same by numeric integration: ∫ f_V(p) · F_B(p) dp on a grid, F_B accumulated by the trapezoid rule. */
function integratedBeat(xV, nV, xB, nB, steps = 200_000) {
  const logDensity = (a, b) => (p) => (a - 1) * Math.log(p) + (b - 1) * Math.log(1 - p);
  const fV = logDensity(1 + xV, 1 + nV - xV);
  const fB = logDensity(1 + xB, 1 + nB - xB);
  const h = 1 / steps;
  const grid = Array.from({ length: steps - 1 }, (_, i) => (i + 1) * h);
  let maxV = -Infinity; let maxB = -Infinity;
  for (const p of grid) { maxV = Math.max(maxV, fV(p)); maxB = Math.max(maxB, fB(p)); }
  let massV = 0; let massB = 0; let cdfB = 0; let total = 0; let previousB = 0;
  for (const p of grid) {
    const dB = Math.exp(fB(p) - maxB);
    cdfB += ((previousB + dB) / 2) * h;
    previousB = dB;
    const dV = Math.exp(fV(p) - maxV);
    total += dV * cdfB * h;
    massV += dV * h;
    massB += dB * h;
  }
  return total / (massV * massB);
}

test('probability to beat the baseline: closed forms, Monte Carlo (seeded) and numeric integration agree', () => {
  // Beta(1,1) against itself: 1/2. Beta(2,1) (density 2p) against Beta(1,1): ∫ 2p · p dp = 2/3.
  near(probabilityToBeat(0, 0, 0, 0), 0.5, 1e-12, 'no data');
  near(probabilityToBeat(1, 1, 0, 0), 2 / 3, 1e-12, 'one conversion of one');
  near(probabilityToBeat(0, 0, 1, 1), 1 / 3, 1e-12, 'the other way round');
  // Each case takes a different one of the four sums (fewest conversions in the variant, in the
  // baseline, fewest non-conversions in the variant, in the baseline), and one large case.
  const cases = [[3, 200, 40, 200], [40, 200, 3, 200], [195, 200, 160, 200], [160, 200, 195, 200], [15, 150, 30, 150], [24, 150, 22, 150]];
  for (const [i, [xV, nV, xB, nB]] of cases.entries()) {
    const exact = probabilityToBeat(xV, nV, xB, nB);
    const mc = monteCarloBeat(xV, nV, xB, nB, 200_000, 1000 + i);
    const se = Math.sqrt(Math.max(exact * (1 - exact), 1e-6) / 200_000);
    near(exact, mc, 5 * se + 1e-4, `Monte Carlo ${xV}/${nV} vs ${xB}/${nB}`);
    near(exact, integratedBeat(xV, nV, xB, nB), 2e-4, `integration ${xV}/${nV} vs ${xB}/${nB}`);
    near(exact + probabilityToBeat(xB, nB, xV, nV), 1, 1e-9, `symmetry ${xV}/${nV} vs ${xB}/${nB}`);
  }
  near(probabilityToBeat(1200, 10_000, 1000, 10_000), integratedBeat(1200, 10_000, 1000, 10_000), 2e-4, 'ten thousand visitors each');
  near(probabilityToBeat(1030, 10_000, 1000, 10_000), monteCarloBeat(1030, 10_000, 1000, 10_000, 200_000, 7), 0.005, 'ten thousand visitors each, by Monte Carlo');
});

test('probability to beat: past 200,000 terms it is the normal approximation of the posteriors', () => {
  // 250,400 of 500,001 against 249,600 of 500,001: the exact posterior probability is 0.9452003764
  // (∫ Beta pdf × regularized incomplete beta, by SciPy's adaptive quadrature, error < 1e-13); the
  // normal approximation of the posteriors (z = 1.5999988) is within 1e-6 of it.
  near(probabilityToBeat(250_400, 500_001, 249_600, 500_001), 0.9452003764, 1e-6, 'large counts');
});

/**
 * P(variant > baseline) exactly, by another closed form than stats.ts's: with integer parameters
 * the baseline's CDF is a binomial tail, I_x(a, b) = Σ_{j=a}^{a+b−1} C(a+b−1, j) x^j (1−x)^(a+b−1−j),
 * and its expectation under the variant's Beta(aV, bV) is a sum of Beta-function ratios. Log
 * factorials by summing logarithms, terms added in log space.
 */
function binomialFormBeat(xV, nV, xB, nB) {
  const aV = 1 + xV; const bV = 1 + nV - xV; const aB = 1 + xB; const bB = 1 + nB - xB;
  const m = aB + bB - 1;
  const top = aV + bV + m + 2;
  const logFactorial = new Float64Array(top + 1);
  for (let k = 2; k <= top; k++) logFactorial[k] = logFactorial[k - 1] + Math.log(k);
  const lnGamma = (n) => logFactorial[n - 1]; // Γ(n) = (n − 1)! for integer n ≥ 1
  const lnBeta = (a, b) => lnGamma(a) + lnGamma(b) - lnGamma(a + b);
  const logs = [];
  for (let j = aB; j <= m; j++) {
    logs.push(logFactorial[m] - logFactorial[j] - logFactorial[m - j] + lnBeta(aV + j, bV + m - j) - lnBeta(aV, bV));
  }
  const max = Math.max(...logs);
  return Math.exp(max + Math.log(logs.reduce((s, l) => s + Math.exp(l - max), 0)));
}

test('probability to beat: pinned at large counts against an independent exact value, precise when tiny, NaN for what are not counts', () => {
  // 1030 of 10,000 against 1000 of 10,000: 0.75874735007 (SciPy quadrature of ∫ Beta pdf × regularized
  // incomplete beta, and Miller's sum at 40 digits in mpmath, agree to 1e-15).
  near(probabilityToBeat(1030, 10_000, 1000, 10_000), 0.75874735007, 1e-9, '1030/10000 vs 1000/10000');
  near(binomialFormBeat(1030, 10_000, 1000, 10_000), 0.75874735007, 1e-9, 'the independent form agrees with the pinned value');
  for (const [xV, nV, xB, nB] of [[3, 200, 40, 200], [195, 200, 160, 200], [4_000, 50_000, 4_100, 50_000], [120, 1_000, 100, 900]]) {
    const exact = binomialFormBeat(xV, nV, xB, nB);
    near(probabilityToBeat(xV, nV, xB, nB), exact, 1e-9, `${xV}/${nV} vs ${xB}/${nB}`);
  }
  // A variant far worse than the baseline: the answer is tiny and must keep its digits, not be 1 − (a sum near 1).
  // 500 of 100,000 against 40 of 1,000: 2.0769868435e-23 (mpmath, 40 digits).
  const tiny = binomialFormBeat(500, 100_000, 40, 1_000);
  // (Differences of ln Γ near 10^6 keep about nine digits in doubles, in either form.)
  near(tiny, 2.0769868435e-23, 1e-8 * 2.08e-23, 'the independent form');
  const got = probabilityToBeat(500, 100_000, 40, 1_000);
  assert.ok(Math.abs(got - tiny) <= 1e-7 * tiny, `${got} is not within 1e-7 of ${tiny}, relatively`);
  for (const args of [[Number.NaN, 10, 1, 10], [1, Number.NaN, 1, 10], [1, 10, 1, Number.POSITIVE_INFINITY], [11, 10, 1, 10], [-1, 10, 1, 10], [1.5, 10, 1, 10]]) {
    assert.ok(Number.isNaN(probabilityToBeat(...args)), `probabilityToBeat(${args.join(', ')}) is not a probability`);
  }
});

test('chi-square tail: NIST critical values, the df = 2 closed form, and df = 1 by integration', () => {
  // NIST/SEMATECH e-Handbook of Statistical Methods, 1.3.6.7.4, upper critical values.
  const table = [
    [1, 3.841, 0.05], [1, 6.635, 0.01], [1, 10.828, 0.001],
    [2, 5.991, 0.05], [2, 9.210, 0.01], [2, 13.816, 0.001],
    [3, 7.815, 0.05], [3, 11.345, 0.01], [3, 16.266, 0.001],
    [4, 9.488, 0.05], [4, 13.277, 0.01], [4, 18.467, 0.001],
  ];
  for (const [df, x, p] of table) near(chiSquareSurvival(x, df), p, p * 0.002, `χ²(${df}) ≥ ${x}`);
  for (const x of [0.1, 1, 4, 20, 80]) near(chiSquareSurvival(x, 2), Math.exp(-x / 2), 1e-14, `df 2 at ${x}`);
  // df = 1: density e^(−x/2) / √(2πx); substitute x = u² to integrate from `x` to a far bound with Simpson's rule.
  const tail = (x) => {
    const a = Math.sqrt(x); const b = 40; const n = 20_000; const h = (b - a) / n;
    const f = (u) => (2 * Math.exp(-(u * u) / 2)) / Math.sqrt(2 * Math.PI);
    let s = f(a) + f(b);
    for (let i = 1; i < n; i++) s += f(a + i * h) * (i % 2 ? 4 : 2);
    return (s * h) / 3;
  };
  for (const x of [0.5, 2, 7, 15, 30]) near(chiSquareSurvival(x, 1), tail(x), 1e-10 + tail(x) * 1e-8, `df 1 at ${x}`);
  assert.equal(chiSquareSurvival(0, 3), 1);
});

test('sample-ratio mismatch: the worked example of Kohavi, Tang & Xu, and what is not tested', () => {
  // "Trustworthy Online Controlled Experiments" (2020), chapter 3: 821,588 vs 815,482 users in a
  // 50/50 experiment, a ratio of 0.993, has p ≈ 1.8e-6: a sample ratio mismatch.
  const kohavi = sampleRatioMismatch([821_588, 815_482], [0.5, 0.5]);
  assert.equal(kohavi.status, 'mismatch');
  near(kohavi.pValue, 1.8e-6, 0.05e-6, 'p-value');
  near(kohavi.chiSquare, (2 * 3053 ** 2) / 818_535, 1e-9, 'chi-square');
  assert.equal(SRM_THRESHOLD, 0.001);

  const fine = sampleRatioMismatch([510, 490], [0.5, 0.5]);
  assert.equal(fine.status, 'ok');
  near(fine.pValue, chiSquareSurvival(0.4, 1), 1e-12, 'p of 510/490');
  assert.equal(sampleRatioMismatch([260, 250, 490], [0.25, 0.25, 0.5]).status, 'ok', 'three variants');
  assert.equal(sampleRatioMismatch([330, 330, 340], [0.25, 0.25, 0.5]).status, 'mismatch', 'three variants, off');
  assert.equal(sampleRatioMismatch([3, 1], [0.5, 0.5]).status, 'not-enough-data', 'under 5 expected per variant');
  assert.equal(sampleRatioMismatch([0, 40], [0, 1]).status, 'not-applicable', 'one variant takes everything');
  const leak = sampleRatioMismatch([1, 40], [0, 1]);
  assert.equal(leak.status, 'mismatch', 'a visitor in a variant the distribution never picks');
  assert.equal(leak.unexpectedVisitors, 1);
  assert.equal(leak.pValue, null, 'no test decides it: the visitor cannot be there at all');
  assert.equal(sampleRatioMismatch([5, 5, 1], [0.5, 0.5]).status, 'mismatch', 'a variant past the distribution');
  assert.equal(sampleRatioMismatch([5, 5, 1], [0.5, 0.5]).unexpectedVisitors, 1);
});

test('sample-ratio mismatch expects the shares assignment really gives: the baseline takes the remainder, ranges stop at 1', () => {
  // pickRange over cumulativeRanges: [0.25, 0.25] gives rolls in [0, 0.25] to the baseline, (0.25, 0.5]
  // to variant 1 and everything past 0.5 to the baseline again.
  const cases = [
    [[0.25, 0.25], [0.75, 0.25], [750, 250]],
    [[0.6, 0.6], [0.6, 0.4], [600, 400]],
    [[0, 0.5], [0.5, 0.5], [500, 500]],
    [[0.5, 0.5], [0.5, 0.5], [500, 500]],
    [[0.2, 0.3, 0.1], [0.6, 0.3, 0.1], [600, 300, 100]],
    [[1, 3], [1, 0], [1000, 0]],
  ];
  for (const [distribution, shares, split] of cases) {
    const srm = sampleRatioMismatch(split, distribution);
    srm.expectedShares.forEach((share, i) => near(share, shares[i], 1e-12, `share of variant ${i} for [${distribution}]`));
    assert.notEqual(srm.status, 'mismatch', `[${distribution}] splitting ${split.join('/')} is what it does`);
    assert.equal(srm.unexpectedVisitors, 0);
  }
  assert.equal(sampleRatioMismatch([750, 250], [0.25, 0.25]).status, 'ok');
  assert.equal(sampleRatioMismatch([500, 500], [0.25, 0.25]).status, 'mismatch', 'an even split is wrong for [0.25, 0.25]');
  // The same shares by rolling: a million seeded rolls through the emulator's own pickRange.
  const random = prng(42);
  for (const [distribution, shares] of cases) {
    const ranges = cumulativeRanges(distribution);
    const hits = shares.map(() => 0);
    for (let i = 0; i < 200_000; i++) hits[pickRange(ranges, random())]++;
    hits.forEach((h, i) => near(h / 200_000, shares[i], 0.005, `rolled share of variant ${i} for [${distribution}]`));
  }
});

test('sample-ratio text: a p-value too small for a double says p < 1e-300, not that a variant is never picked', () => {
  const srm = sampleRatioMismatch([7000, 3000], [0.5, 0.5]);
  assert.equal(srm.status, 'mismatch');
  assert.equal(srm.chiSquare, 1600);
  assert.equal(srm.pValue, 0, 'underflows');
  const text = emulator.srmText(srm, SRM_THRESHOLD);
  assert.match(text, /chi-square 1600\.00, p < 1e-300 < 0\.001/);
  assert.doesNotMatch(text, /never picks/);
  assert.match(emulator.srmText(sampleRatioMismatch([1, 40], [0, 1]), SRM_THRESHOLD), /1 visitor in a variant the distribution \(0 \/ 100\) never picks/);
  // An answer from elsewhere with fields of the wrong type reads as text too.
  assert.doesNotThrow(() => emulator.srmText({ status: 'mismatch', chiSquare: '12', pValue: {}, expectedShares: [0.5, 0.5] }, 0.001));
  assert.doesNotThrow(() => emulator.srmText({ status: 'ok', chiSquare: null, pValue: null, expectedShares: 'x' }, 0.001));
});

test('the comparison: rates with intervals, each variant against the baseline, and when it may be read', () => {
  const [base, variant] = compareArms([{ visitors: 80, conversions: 48 }, { visitors: 70, conversions: 56 }]);
  assert.equal(base.vsBaseline, null);
  assert.equal(base.rate, 0.6);
  assert.deepEqual([round4(variant.vsBaseline.lower), round4(variant.vsBaseline.upper)], [0.0524, 0.3339], 'Newcombe (a) again');
  near(variant.vsBaseline.probabilityToBeat, probabilityToBeat(56, 70, 48, 80), 0, 'the same probability');
  assert.ok(variant.vsBaseline.probabilityToBeat > 0.99);
  assert.equal(compareArms([{ visitors: 0, conversions: 0 }, { visitors: 10, conversions: 1 }])[1].vsBaseline, null, 'an empty baseline');

  assert.equal(MIN_VISITORS, 50);
  assert.equal(MIN_CONVERSIONS, 5);
  assert.equal(enoughData([{ visitors: 50, conversions: 5 }, { visitors: 60, conversions: 30 }]), true);
  assert.equal(enoughData([{ visitors: 49, conversions: 5 }, { visitors: 60, conversions: 30 }]), false, 'too few visitors');
  assert.equal(enoughData([{ visitors: 50, conversions: 4 }, { visitors: 60, conversions: 30 }]), false, 'too few conversions');
  assert.equal(enoughData([{ visitors: 50, conversions: 46 }, { visitors: 60, conversions: 30 }]), false, 'too few without a conversion');
  assert.equal(enoughData([{ visitors: 500, conversions: 50 }]), false, 'nothing to compare with');
});
