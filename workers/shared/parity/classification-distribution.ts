/**
 * Check 3, classification distribution: products per bucket (A, B, C, NEW, DORMANT and any other
 * value found) of legacy product_classifications against new nominal_classification, each bucket
 * compared on its own; a bucket present on one side only fails. The details also name products
 * whose bucket differs (a sample), which shows *why* a distribution moved.
 */
import { freshRead } from '../db/fresh.ts';
import { compareValues, type ParityCheckResult, roundDifference, worstOf } from './comparison.ts';
import type { Side } from './sides.ts';

const TABLE = 'product_classifications';
export const CLASSIFICATION_BUCKETS = ['A', 'B', 'C', 'NEW', 'DORMANT'] as const;

async function classifications(side: Side): Promise<Map<string, { bucket: string; manual: boolean }>> {
  const product = side.column(TABLE, 'product_id');
  const bucket = side.column(TABLE, 'classification');
  const manual = side.column(TABLE, 'is_manual');
  const rows = await side.sql<{ product_id: string; bucket: string; manual: boolean }[]>`
    select c.${product}::text as product_id, c.${bucket} as bucket, c.${manual} as manual
    from ${side.table(TABLE)} c
    where ${freshRead(side.sql)}`;
  return new Map(rows.map((r) => [r.product_id, { bucket: r.bucket, manual: r.manual }]));
}

function countBuckets(rows: Map<string, { bucket: string }>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const { bucket } of rows.values()) counts.set(bucket, (counts.get(bucket) ?? 0) + 1);
  return counts;
}

export async function checkClassificationDistribution(
  legacy: Side,
  fresh: Side,
  options: { tolerance: number; sampleLimit?: number },
): Promise<ParityCheckResult> {
  const sampleLimit = options.sampleLimit ?? 20;
  const [a, b] = await Promise.all([classifications(legacy), classifications(fresh)]);
  const legacyCounts = countBuckets(a);
  const newCounts = countBuckets(b);
  const extra = [...new Set([...legacyCounts.keys(), ...newCounts.keys()])]
    .filter((bucket) => !(CLASSIFICATION_BUCKETS as readonly string[]).includes(bucket))
    .sort();
  const buckets = [...CLASSIFICATION_BUCKETS, ...extra].map((bucket) => {
    const comparison = compareValues(
      legacyCounts.get(bucket) ?? null,
      newCounts.get(bucket) ?? null,
      options.tolerance,
    );
    return { bucket, comparison };
  });
  const worst = worstOf(buckets.map((x) => x.comparison));

  const differing = [];
  let differingCount = 0;
  for (const id of [...new Set([...a.keys(), ...b.keys()])].sort((x, y) => (BigInt(x) < BigInt(y) ? -1 : 1))) {
    const x = a.get(id);
    const y = b.get(id);
    if (x?.bucket === y?.bucket) continue;
    differingCount += 1;
    if (differing.length < sampleLimit) {
      differing.push({
        product_id: Number(id),
        legacy: x?.bucket ?? null,
        new: y?.bucket ?? null,
        legacy_is_manual: x?.manual ?? null,
        new_is_manual: y?.manual ?? null,
      });
    }
  }
  const failing = buckets.filter((x) => x.comparison.verdict === 'fail');
  const describe = (x: (typeof buckets)[number]) =>
    x.comparison.legacy === null || x.comparison.new === null
      ? `${x.bucket} missing on ${x.comparison.legacy === null ? 'legacy' : 'new'} (${x.comparison.legacy ?? x.comparison.new} products on the other side)`
      : `${x.bucket} ${x.comparison.legacy} vs ${x.comparison.new}`;
  const toRecord = (counts: Map<string, number>) =>
    Object.fromEntries(buckets.map(({ bucket }) => [bucket, counts.get(bucket) ?? 0]));
  return {
    name: 'classification_distribution',
    legacy_value: toRecord(legacyCounts),
    new_value: toRecord(newCounts),
    difference: worst.difference,
    tolerance: options.tolerance,
    verdict: worst.verdict,
    details: {
      summary:
        failing.length === 0
          ? `every bucket within the tolerance (${buckets.map(describe).join(', ')}); ${differingCount} products classified differently`
          : `buckets beyond the tolerance: ${failing.map(describe).join('; ')}; ${differingCount} products classified differently`,
      buckets: buckets.map(({ bucket, comparison }) => ({
        bucket,
        legacy: comparison.legacy ?? 0,
        new: comparison.new ?? 0,
        missing_on:
          comparison.legacy === null && comparison.new !== null
            ? 'legacy'
            : comparison.new === null && comparison.legacy !== null
              ? 'new'
              : null,
        difference: roundDifference(comparison.difference),
        verdict: comparison.verdict,
      })),
      differing_product_count: differingCount,
      differing_products: differing,
    },
  };
}
