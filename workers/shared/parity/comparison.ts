/**
 * How two values are compared, one rule for every check (spec "Parity checks"):
 * the symmetric relative difference |a − b| / max(|a|, |b|) must be below the tolerance (default
 * 1%); zero on both sides passes; something present on only one side (a bucket, a product, a day)
 * fails whatever its value.
 */

export const DEFAULT_TOLERANCE = 0.01;

export const CHECK_NAMES = [
  'dataset_row_count',
  'daily_net_sales',
  'top_products',
  'classification_distribution',
  'denotation_coverage',
  'tag_count',
] as const;
export type CheckName = (typeof CHECK_NAMES)[number];

export type Verdict = 'pass' | 'fail' | 'error';

export type CheckValue = number | Record<string, number> | null;

/** One check's outcome, stored as one element of parity_check_execution.check_results. */
export interface ParityCheckResult {
  name: CheckName;
  legacy_value: CheckValue;
  new_value: CheckValue;
  /** The symmetric relative difference (for a check made of parts: the worst part's). */
  difference: number | null;
  tolerance: number;
  verdict: Verdict;
  /** `summary` (one sentence for people) plus whatever shows where the two sides differ. */
  details: { summary: string } & Record<string, unknown>;
}

/** |a − b| / max(|a|, |b|); 0 when both are 0. */
export function relativeDifference(a: number, b: number): number {
  const scale = Math.max(Math.abs(a), Math.abs(b));
  return scale === 0 ? 0 : Math.abs(a - b) / scale;
}

export interface Comparison {
  legacy: number | null;
  new: number | null;
  difference: number;
  verdict: 'pass' | 'fail';
}

/**
 * Compares one value present on each side; `null` means absent on that side (a bucket, product or
 * day the side does not have), which fails unless the other side has nothing (null or 0) either.
 */
export function compareValues(legacy: number | null, fresh: number | null, tolerance: number): Comparison {
  if (legacy === null && fresh === null) return { legacy, new: fresh, difference: 0, verdict: 'pass' };
  if (legacy === null || fresh === null) {
    const present = legacy ?? fresh ?? 0;
    // Absent on one side and zero on the other is still "zero on both sides".
    return present === 0
      ? { legacy, new: fresh, difference: 0, verdict: 'pass' }
      : { legacy, new: fresh, difference: 1, verdict: 'fail' };
  }
  const difference = relativeDifference(legacy, fresh);
  return { legacy, new: fresh, difference, verdict: difference < tolerance ? 'pass' : 'fail' };
}

/** Rounds a relative difference for storage and display (6 significant decimals is plenty). */
export function roundDifference(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}

export function formatPercent(value: number | null): string {
  if (value === null) return '—';
  if (value === 0) return '0%';
  const percent = value * 100;
  return `${percent < 0.01 ? percent.toExponential(1) : percent.toFixed(percent < 10 ? 2 : 1)}%`;
}

/** Postgres numeric / bigint arrive as text: converted deliberately, once, here. */
export function toNumber(value: string | number | null | undefined): number {
  if (value === null || value === undefined) return 0;
  return typeof value === 'number' ? value : Number(value);
}

/** The worst of several comparisons (the check's `difference`), and whether all passed. */
export function worstOf(comparisons: readonly Comparison[]): { difference: number; verdict: 'pass' | 'fail' } {
  let difference = 0;
  let verdict: 'pass' | 'fail' = 'pass';
  for (const c of comparisons) {
    difference = Math.max(difference, c.difference);
    if (c.verdict === 'fail') verdict = 'fail';
  }
  return { difference: roundDifference(difference), verdict };
}

/** A check that could not run: its cause is kept, never a stack trace. */
export function erroredCheck(name: CheckName, tolerance: number, cause: unknown): ParityCheckResult {
  const message = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
  return {
    name,
    legacy_value: null,
    new_value: null,
    difference: null,
    tolerance,
    verdict: 'error',
    details: { summary: `the check could not run: ${message.slice(0, 1000)}` },
  };
}
