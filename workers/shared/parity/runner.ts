/**
 * One parity run: resolves the window from the common watermark, then runs every check on the
 * legacy database (read only: only selects are issued) and the new one, independently and at the
 * same time, so one check that cannot run is reported as `error` while the others still answer.
 *
 * The run's verdict: `error` when a check could not run, else `fail` when any check failed, else
 * `pass`. Runtime-neutral: the ingest Worker's `parity_check` procedure and `npm run parity` both
 * call `runParityChecks`.
 */
import { checkClassificationDistribution } from './classification-distribution.ts';
import { type CheckName, DEFAULT_TOLERANCE, erroredCheck, type ParityCheckResult, type Verdict } from './comparison.ts';
import { checkDailyNetSales } from './daily-net-sales.ts';
import { checkDatasetRowCount } from './dataset-row-count.ts';
import { checkDenotationCoverage } from './denotation-coverage.ts';
import { legacySide, newSide, type Queryable, type Side } from './sides.ts';
import { checkTagCount } from './tag-count.ts';
import { checkTopProducts, DEFAULT_TOP_LIMIT } from './top-products.ts';
import { type ParityWindow, resolveParityWindow } from './window.ts';

export interface ParityRunOptions {
  /** Window override (shop-local dates); by default the 30 days ending on the last complete day. */
  from?: string;
  to?: string;
  tolerance?: number;
  topLimit?: number;
  /** Differing keys / products shown per check at most. */
  sampleLimit?: number;
}

export interface ParityRun {
  verdict: Verdict;
  window: ParityWindow;
  tolerance: number;
  checks: ParityCheckResult[];
  started_at: string;
  finished_at: string;
  duration_ms: number;
}

export function overallVerdict(checks: readonly ParityCheckResult[]): Verdict {
  if (checks.some((c) => c.verdict === 'error')) return 'error';
  if (checks.some((c) => c.verdict === 'fail')) return 'fail';
  return 'pass';
}

export async function runParityChecks(
  legacySql: Queryable,
  newSql: Queryable,
  options: ParityRunOptions = {},
): Promise<ParityRun> {
  const startedAt = new Date();
  const started = performance.now();
  const tolerance = options.tolerance ?? DEFAULT_TOLERANCE;
  const legacy = legacySide(legacySql);
  const fresh = newSide(newSql);
  const window = await resolveParityWindow(legacy, fresh, { from: options.from, to: options.to });
  const common = { tolerance, sampleLimit: options.sampleLimit };

  const checks: [CheckName, (legacy: Side, fresh: Side) => Promise<ParityCheckResult>][] = [
    ['dataset_row_count', (l, n) => checkDatasetRowCount(l, n, { ...common, throughDate: window.throughDate })],
    ['daily_net_sales', (l, n) => checkDailyNetSales(l, n, { tolerance, from: window.from, to: window.to })],
    [
      'top_products',
      (l, n) =>
        checkTopProducts(l, n, {
          ...common,
          from: window.from,
          to: window.to,
          limit: options.topLimit ?? DEFAULT_TOP_LIMIT,
        }),
    ],
    ['classification_distribution', (l, n) => checkClassificationDistribution(l, n, common)],
    ['denotation_coverage', (l, n) => checkDenotationCoverage(l, n, common)],
    ['tag_count', (l, n) => checkTagCount(l, n, common)],
  ];
  const results = await Promise.all(
    checks.map(([name, run]) => run(legacy, fresh).catch((error: unknown) => erroredCheck(name, tolerance, error))),
  );
  if (window.timezone !== window.legacyTimezone) {
    // Every day would differ: say why once, where staff look first.
    const dataset = results[0] as ParityCheckResult;
    dataset.details.summary = `the shop timezones differ (legacy ${window.legacyTimezone}, new ${window.timezone}); ${dataset.details.summary}`;
  }
  const finishedAt = new Date();
  return {
    verdict: overallVerdict(results),
    window,
    tolerance,
    checks: results,
    started_at: startedAt.toISOString(),
    finished_at: finishedAt.toISOString(),
    duration_ms: Math.round(performance.now() - started),
  };
}
