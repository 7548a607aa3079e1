/**
 * Check 1, dataset row count: rows of the performance mart (legacy mart_performance_metrics, new
 * performance_measurement_dataset) through the last day both systems have completely. The verdict
 * is on the counts; the details name *where* the two differ (missing rows and changed values) from
 * a checksum bisection over (product, day).
 */
import { compareValues, type ParityCheckResult, roundDifference } from './comparison.ts';
import { diffPerformanceMart } from './segment-diff.ts';
import type { Side } from './sides.ts';

export async function checkDatasetRowCount(
  legacy: Side,
  fresh: Side,
  options: { throughDate: string; tolerance: number; sampleLimit?: number },
): Promise<ParityCheckResult> {
  const diff = await diffPerformanceMart(legacy, fresh, {
    throughDate: options.throughDate,
    sampleLimit: options.sampleLimit,
  });
  const comparison = compareValues(diff.legacyRows, diff.newRows, options.tolerance);
  const missingOnNew = diff.sample.filter((k) => k.difference === 'missing_on_new').length;
  const missingOnLegacy = diff.sample.filter((k) => k.difference === 'missing_on_legacy').length;
  const changed = diff.sample.filter((k) => k.difference === 'values').length;
  const more = diff.truncated ? ' (a sample; there are more)' : '';
  const summary = diff.identical
    ? `${diff.legacyRows} rows through ${options.throughDate} on both sides, identical checksums`
    : `${diff.legacyRows} legacy rows vs ${diff.newRows} new rows through ${options.throughDate}; ` +
      `differing keys${more}: ${missingOnNew} missing on new, ${missingOnLegacy} missing on legacy, ${changed} with other values`;
  return {
    name: 'dataset_row_count',
    legacy_value: diff.legacyRows,
    new_value: diff.newRows,
    difference: roundDifference(comparison.difference),
    tolerance: options.tolerance,
    verdict: comparison.verdict,
    details: {
      summary,
      through_date: options.throughDate,
      tables: {
        legacy: legacy.tableName('mart_performance_metrics'),
        new: fresh.tableName('mart_performance_metrics'),
      },
      checksums_match: diff.identical,
      // Row values are shown in this order (JSON objects stored as jsonb lose their key order).
      row_columns: legacy.comparedColumns('mart_performance_metrics'),
      differing_keys: diff.sample,
      differing_keys_truncated: diff.truncated,
      segments_compared: diff.segmentsCompared,
      bisection_levels: diff.levels,
    },
  };
}
