/**
 * Check 2, top products by net sales over the window: the legacy `get_top_products` against the
 * same ranking on the new tables (the marts' `getTopProducts`, which the dashboard API serves).
 * Every product in either top list is compared: in both lists, its net sales within the
 * tolerance; in only one, a failure, with its net sales on the other side shown so staff can tell
 * "ranked just below the cut" from "has no sales at all".
 */
import { freshRead } from '../db/fresh.ts';
import { getTopProducts } from '../marts/dashboard.ts';
import { compareValues, type ParityCheckResult, roundDifference, toNumber, worstOf } from './comparison.ts';
import type { Side } from './sides.ts';

export const DEFAULT_TOP_LIMIT = 100;

interface RankedProduct {
  rank: number;
  product_id: number;
  title: string | null;
  net_sales: number;
}

async function legacyTopProducts(side: Side, from: string, to: string, limit: number): Promise<RankedProduct[]> {
  const rows = await side.sql<{ rank: number; product_id: string; title: string | null; net_sales: string }[]>`
    select rank, product_id::text as product_id, title, net_sales::text as net_sales
    from get_top_products(${from}::text::date, ${to}::text::date, ${limit}::int, 'net_sales')
    where ${freshRead(side.sql)}`;
  return rows.map((r) => ({
    rank: r.rank,
    product_id: Number(r.product_id),
    title: r.title,
    net_sales: toNumber(r.net_sales),
  }));
}

async function newTopProducts(side: Side, from: string, to: string, limit: number): Promise<RankedProduct[]> {
  const rows = await getTopProducts(side.sql, { from, to, limit, metric: 'net_sales', fresh: true });
  return rows.map((r) => ({ rank: r.rank, product_id: r.product_id, title: r.title, net_sales: r.net_sales }));
}

/** Net sales over the window of the given products on one side (for products missing from its list). */
async function windowNetSales(
  side: Side,
  productIds: number[],
  from: string,
  to: string,
): Promise<Map<number, number>> {
  if (productIds.length === 0) return new Map();
  const table = 'mart_performance_metrics';
  const product = side.column(table, 'product_id');
  const day = side.column(table, 'metric_date');
  const netSales = side.column(table, 'net_sales');
  const rows = await side.sql<{ product_id: string; net_sales: string }[]>`
    select m.${product}::text as product_id, round(sum(m.${netSales}), 2)::text as net_sales
    from ${side.table(table)} m
    where m.${product} in (select jsonb_array_elements_text(${JSON.stringify(productIds.map(String))}::text::jsonb)::bigint)
      and m.${day} between ${from}::text::date and ${to}::text::date and ${freshRead(side.sql)}
    group by 1`;
  return new Map(rows.map((r) => [Number(r.product_id), toNumber(r.net_sales)]));
}

export async function checkTopProducts(
  legacy: Side,
  fresh: Side,
  options: { from: string; to: string; limit?: number; tolerance: number; sampleLimit?: number },
): Promise<ParityCheckResult> {
  const limit = options.limit ?? DEFAULT_TOP_LIMIT;
  const sampleLimit = options.sampleLimit ?? 20;
  const [a, b] = await Promise.all([
    legacyTopProducts(legacy, options.from, options.to, limit),
    newTopProducts(fresh, options.from, options.to, limit),
  ]);
  const legacyById = new Map(a.map((p) => [p.product_id, p]));
  const newById = new Map(b.map((p) => [p.product_id, p]));
  const onlyLegacyIds = a.filter((p) => !newById.has(p.product_id)).map((p) => p.product_id);
  const onlyNewIds = b.filter((p) => !legacyById.has(p.product_id)).map((p) => p.product_id);
  const [newSalesOfMissing, legacySalesOfMissing] = await Promise.all([
    windowNetSales(fresh, onlyLegacyIds, options.from, options.to),
    windowNetSales(legacy, onlyNewIds, options.from, options.to),
  ]);

  const comparisons = [];
  const differing = [];
  for (const p of a) {
    const other = newById.get(p.product_id);
    const comparison = compareValues(p.net_sales, other ? other.net_sales : null, options.tolerance);
    comparisons.push(comparison);
    if (other && comparison.verdict === 'fail') {
      differing.push({
        product_id: p.product_id,
        title: p.title ?? other.title,
        legacy_rank: p.rank,
        new_rank: other.rank,
        legacy_net_sales: p.net_sales,
        new_net_sales: other.net_sales,
        difference: roundDifference(comparison.difference),
      });
    }
  }
  for (const id of onlyNewIds)
    comparisons.push(compareValues(null, newById.get(id)?.net_sales ?? 0, options.tolerance));
  // A product missing from one list fails even when it has no sales in the window there.
  const missing = onlyLegacyIds.length + onlyNewIds.length;
  const worst = worstOf(comparisons);
  const verdict = missing > 0 ? 'fail' : worst.verdict;
  const difference = missing > 0 ? 1 : worst.difference;

  const onlyLegacy = onlyLegacyIds.slice(0, sampleLimit).map((id) => {
    const p = legacyById.get(id) as RankedProduct;
    return { ...p, net_sales_on_new: newSalesOfMissing.get(id) ?? 0 };
  });
  const onlyNew = onlyNewIds.slice(0, sampleLimit).map((id) => {
    const p = newById.get(id) as RankedProduct;
    return { ...p, net_sales_on_legacy: legacySalesOfMissing.get(id) ?? 0 };
  });
  differing.sort((x, y) => y.difference - x.difference || x.legacy_rank - y.legacy_rank);
  const sum = (list: RankedProduct[]) => Math.round(list.reduce((s, p) => s + p.net_sales, 0) * 100) / 100;
  const overlap = a.length - onlyLegacyIds.length;

  const problems = [];
  if (onlyLegacyIds.length > 0) {
    problems.push(
      `${onlyLegacyIds.length} of the legacy top ${limit} missing from the new one (e.g. ${onlyLegacy
        .slice(0, 3)
        .map((p) => `#${p.rank} ${p.product_id}`)
        .join(', ')})`,
    );
  }
  if (onlyNewIds.length > 0) {
    problems.push(
      `${onlyNewIds.length} of the new top ${limit} missing from the legacy one (e.g. ${onlyNew
        .slice(0, 3)
        .map((p) => `#${p.rank} ${p.product_id}`)
        .join(', ')})`,
    );
  }
  if (differing.length > 0) {
    problems.push(
      `${differing.length} products with net sales differing beyond the tolerance (worst: ${differing[0]?.product_id}, ${differing[0]?.legacy_net_sales} vs ${differing[0]?.new_net_sales})`,
    );
  }
  return {
    name: 'top_products',
    legacy_value: sum(a),
    new_value: sum(b),
    difference,
    tolerance: options.tolerance,
    verdict,
    details: {
      summary:
        problems.length === 0
          ? `the top ${limit} by net sales from ${options.from} to ${options.to} match: ${overlap} products, each within the tolerance`
          : problems.join('; '),
      from: options.from,
      to: options.to,
      limit,
      legacy_count: a.length,
      new_count: b.length,
      overlap,
      only_legacy: onlyLegacy,
      only_new: onlyNew,
      differing: differing.slice(0, sampleLimit),
      differing_count: differing.length,
    },
  };
}
