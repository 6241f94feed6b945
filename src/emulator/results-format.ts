/**
 * How result figures read as text, shared by the emulator's dashboard (server and browser) and
 * the preview panel, so all three say the same thing. Pure string functions.
 */
import type { ExperienceResult, GoalResult } from './results-types.js';

const MINUS = '\u2212';

export const variantLabel = (index: number): string => (index === 0 ? 'Baseline' : `Variant ${index}`);

/** 0.1234 → "12.3 %"; null → "—". */
export function percent(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  return `${(value * 100).toFixed(1)} %`;
}

/** A difference of rates in percentage points: 0.042 → "+4.2 pts". */
export function points(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  const rounded = Math.round(value * 1000) / 10;
  const sign = rounded > 0 ? '+' : rounded < 0 ? MINUS : '±';
  return `${sign}${Math.abs(rounded).toFixed(1)} pts`;
}

export function range(lower: number | null | undefined, upper: number | null | undefined, format: (v: number | null | undefined) => string): string {
  if (lower === null || lower === undefined || upper === null || upper === undefined) return '';
  return `${format(lower)} to ${format(upper)}`;
}

/** A probability, never shown as a certainty. */
export function chance(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  if (value > 0.999) return '> 99.9 %';
  if (value < 0.001) return '< 0.1 %';
  return `${(value * 100).toFixed(1)} %`;
}

export function count(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
}

const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** A p-value as text; one that underflowed to 0 is only known to be below the smallest shown. */
export function pValueText(p: number): string {
  return p < 1e-300 ? 'p < 1e-300' : `p = ${p < 0.001 ? p.toExponential(1) : p.toFixed(3)}`;
}

/** What the sample-ratio check says, in a sentence (any field may be missing from an odd answer: never throws). */
export function srmText(srm: ExperienceResult['srm'], threshold: number): string {
  const shares = Array.isArray(srm.expectedShares) ? srm.expectedShares.map((s) => `${Math.round(Number(s) * 100)}`).join(' / ') : '';
  const unexpected = isNumber(srm.unexpectedVisitors) ? srm.unexpectedVisitors : 0;
  const test = isNumber(srm.chiSquare) && isNumber(srm.pValue) ? { chiSquare: srm.chiSquare, pValue: srm.pValue } : null;
  const broken = 'Assignment or tracking is broken; do not trust these results.';
  switch (srm.status) {
    case 'mismatch':
      if (unexpected > 0) return `Sample ratio mismatch: ${count(unexpected, 'visitor')} in a variant the distribution (${shares}) never picks. ${broken}`;
      if (test) {
        return `Sample ratio mismatch: visitors do not split as the distribution (${shares}) says (chi-square ${test.chiSquare.toFixed(2)}, ${pValueText(test.pValue)} < ${threshold}). ${broken}`;
      }
      return `Sample ratio mismatch: visitors do not split as the distribution (${shares}) says. ${broken}`;
    case 'ok':
      return test
        ? `Sample ratio as expected (${shares}; chi-square ${test.chiSquare.toFixed(2)}, ${pValueText(test.pValue)}).`
        : `Sample ratio as expected (${shares}).`;
    case 'not-enough-data':
      return 'Sample ratio: too few visitors to check the split yet.';
    default:
      return 'Sample ratio: nothing to check (one variant takes all traffic).';
  }
}

export function tooFewText(minVisitors: number, minConversions: number): string {
  return `Too few data to say anything yet: every variant needs at least ${minVisitors} visitors, ${minConversions} conversions and ${minConversions} visitors who did not convert before the difference means much.`;
}

/** One line per variant for a goal, e.g. "Variant 1: 24 of 150 (16.0 %), +4.0 pts (−2.9 to +11.0) vs baseline, 87.2 % to beat it". */
export function goalLine(goal: GoalResult, index: number): string {
  const v = goal.variants[index];
  if (!v) return '';
  const head = `${variantLabel(index)}: ${v.conversions.toLocaleString('en-US')} of ${v.visitors.toLocaleString('en-US')} (${percent(v.rate)})`;
  if (index === 0 || v.difference === null) return head;
  return `${head}, ${points(v.difference)} (${range(v.differenceLower, v.differenceUpper, points)}) vs baseline, ${chance(v.probabilityToBeat)} to beat it`;
}

/** 2026-01-02T03:04:05.678Z → "03:04:05 UTC". */
export const clock = (iso: string): string => `${iso.slice(11, 19)} UTC`;
