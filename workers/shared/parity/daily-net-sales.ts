/**
 * Per-day totals of net sales over the window (Σ mart net_sales per shop-local day, both sides),
 * each day compared on its own: one day off by more than the tolerance fails the check even when
 * the window's total agrees, and the details list every day so staff see which. A window with no
 * dated data on either side fails: "nothing to compare".
 */
import { freshRead } from '../db/fresh.ts';
import { addDays } from '../shop-calendar.ts';
import { compareValues, type ParityCheckResult, roundDifference, toNumber, worstOf } from './comparison.ts';
import type { Side } from './sides.ts';

const TABLE = 'mart_performance_metrics';

async function dailyTotals(side: Side, from: string, to: string): Promise<Map<string, number>> {
  const day = side.column(TABLE, 'metric_date');
  const netSales = side.column(TABLE, 'net_sales');
  const rows = await side.sql<{ day: string; net_sales: string }[]>`
    select m.${day}::text as day, sum(m.${netSales})::text as net_sales
    from ${side.table(TABLE)} m
    where m.${day} between ${from}::text::date and ${to}::text::date and ${freshRead(side.sql)}
    group by 1`;
  return new Map(rows.map((r) => [r.day, toNumber(r.net_sales)]));
}

export async function checkDailyNetSales(
  legacy: Side,
  fresh: Side,
  options: { from: string; to: string; tolerance: number },
): Promise<ParityCheckResult> {
  const [a, b] = await Promise.all([
    dailyTotals(legacy, options.from, options.to),
    dailyTotals(fresh, options.from, options.to),
  ]);
  const days = [];
  for (let day = options.from; day <= options.to; day = addDays(day, 1)) {
    const comparison = compareValues(a.get(day) ?? null, b.get(day) ?? null, options.tolerance);
    days.push({
      date: day,
      legacy: comparison.legacy ?? 0,
      new: comparison.new ?? 0,
      difference: roundDifference(comparison.difference),
      verdict: comparison.verdict,
      comparison,
    });
  }
  const worst = worstOf(days.map((d) => d.comparison));
  // Two empty sides agree, but prove nothing: a run over a window without data must not pass.
  const nothingToCompare = a.size === 0 && b.size === 0;
  const sum = (m: Map<string, number>) => Math.round([...m.values()].reduce((x, y) => x + y, 0) * 100) / 100;
  const failing = days.filter((d) => d.verdict === 'fail');
  return {
    name: 'daily_net_sales',
    legacy_value: sum(a),
    new_value: sum(b),
    difference: worst.difference,
    tolerance: options.tolerance,
    verdict: nothingToCompare ? 'fail' : worst.verdict,
    details: {
      summary: nothingToCompare
        ? `nothing to compare: neither system has dated data (${TABLE} rows) from ${options.from} to ${options.to}`
        : failing.length === 0
          ? `all ${days.length} days from ${options.from} to ${options.to} agree within the tolerance`
          : `${failing.length} of ${days.length} days differ: ${failing
              .slice(0, 5)
              .map((d) => `${d.date} (${d.legacy} vs ${d.new})`)
              .join(', ')}${failing.length > 5 ? ', …' : ''}`,
      from: options.from,
      to: options.to,
      days: days.map(({ comparison: _, ...rest }) => rest),
    },
  };
}
