/**
 * The performance mart: performance_measurement_dataset (one row per product per shop-local day)
 * and performance_measurement_daily_total (per day: the dataset summed over products, plus the
 * day's orders), computed from the raw Shopify tables exactly as the legacy
 * `refresh_mart_performance_metrics`:
 *   - sales count on the order's processed date, refunds on the refund's date, both shop-local
 *     (configuration_setting 'shop_timezone', else UTC);
 *   - test orders, cancelled orders and custom lines (no product) are excluded;
 *   - gross = Σ unit price × quantity, discounts = Σ line discounts, refunds = Σ refund line
 *     subtotals, net (aggregate_measurement_value) = gross − discounts − refunds.
 *
 * Two ways to refresh, producing identical tables (tested):
 *   - refreshPerformanceDataset: rebuild the days in [from, to] (null = unbounded), like the legacy.
 *   - refreshTouchedKeys: recompute only the (product, day) keys a load recorded with
 *     recordTouchedOrders. It rebuilds everything instead when the dataset was never fully built,
 *     when the shop timezone differs from the one of the last full rebuild (a timezone change
 *     moves every sale to another day), or when a load touched so many keys that a full rebuild is
 *     cheaper.
 * All refreshes take one transaction-scoped advisory lock, so they run one at a time. The pieces:
 * full-rebuild.ts, touched-refresh.ts, touched-keys.ts (what loads record), refresh-lock.ts (shared).
 */

import type { Sql } from '#shared/db/types.ts';
import { SHOP_TIMEZONE_SETTING, shopTimezone } from '../shop-calendar.ts';
import { rebuildRange } from './full-rebuild.ts';
import { type DateRange, lockRefresh, type RefreshResult, recordFullRebuild } from './refresh-lock.ts';
import { recomputeTouchedKeys } from './touched-refresh.ts';

export type { DateRange, RefreshResult } from './refresh-lock.ts';
export { recordTouchedLines, recordTouchedOrders, type TouchedKeys, touchedKeysFor } from './touched-keys.ts';

/** Above this many recorded keys a full rebuild is cheaper than key-by-key recomputation. */
export const FULL_REBUILD_KEY_THRESHOLD = 150_000;

/**
 * Rebuilds the dataset and the daily totals for the shop-local days in [from, to] (null or absent
 * = unbounded), exactly as `refresh_mart_performance_metrics(from, to)`. An unbounded rebuild also
 * records the timezone it was built in; the touched keys it covers are consumed.
 */
export async function refreshPerformanceDataset(sql: Sql, range: DateRange = {}): Promise<RefreshResult> {
  const run = await sql.begin(async (tx) => {
    await lockRefresh(tx);
    const timezone = await shopTimezone(tx);
    const full = !range.from && !range.to;
    if (full) await tx`delete from performance_measurement_refresh_key`;
    const { rows, changed } = await rebuildRange(tx, timezone, range);
    if (full) await recordFullRebuild(tx, timezone);
    return { result: { mode: full ? 'full' : 'range', rows, keys: 0, timezone } satisfies RefreshResult, changed };
  });
  await tidyAfterRebuild(sql, run.result.rows, run.changed);
  return run.result as RefreshResult;
}

/**
 * Recomputes only the (product, day) keys recorded since the last refresh, then forgets them.
 * Falls back to a full rebuild when the dataset was never built in the current shop timezone.
 */
export async function refreshTouchedKeys(
  sql: Sql,
  options: { fullRebuildKeyThreshold?: number } = {},
): Promise<RefreshResult> {
  const run = await sql.begin(async (tx) => {
    await lockRefresh(tx);
    const threshold = options.fullRebuildKeyThreshold ?? FULL_REBUILD_KEY_THRESHOLD;
    // One round trip for what decides the path; the pending keys are counted only up to the threshold.
    const [state] = await tx<{ timezone: string; built_in: string | null; too_many: boolean }[]>`
      select coalesce((select setting_value #>> '{}' from configuration_setting
                       where setting_key = ${SHOP_TIMEZONE_SETTING}), 'UTC') as timezone,
             (select shop_timezone from performance_measurement_refresh_state) as built_in,
             (select count(*) from (select from performance_measurement_refresh_key limit ${threshold + 1}::int) k)
               > ${threshold}::int as too_many`;
    const timezone = state?.timezone ?? 'UTC';
    const builtIn = state?.built_in ?? null;
    const reason = !builtIn
      ? 'never_built'
      : builtIn !== timezone
        ? 'timezone_changed'
        : state?.too_many
          ? 'too_many_keys'
          : undefined;
    if (reason) {
      // Only the keys visible now are consumed: a load committing later keeps its keys for next time.
      const consumed = await tx`delete from performance_measurement_refresh_key`;
      const { rows, changed } = await rebuildRange(tx, timezone, {});
      await recordFullRebuild(tx, timezone);
      const result: RefreshResult = { mode: 'full', rows, keys: consumed.count, reason, timezone };
      return { result, changed };
    }
    // Fresh statistics for the keys: the table swings from hundreds of thousands of rows (after a
    // first load) to a few thousand, and with stale ones Postgres hashed the whole dataset to
    // delete a handful of rows (80 of 240 ms at 200k orders).
    await tx`analyze performance_measurement_refresh_key`;
    const { rows, keys } = await recomputeTouchedKeys(tx, timezone);
    const result: RefreshResult = { mode: 'touched', rows, keys, timezone };
    return { result, changed: null };
  });
  if (run.changed !== null) await tidyAfterRebuild(sql, run.result.rows, run.changed);
  return run.result as RefreshResult;
}

/**
 * After a rebuild, in statements of its own (VACUUM runs outside a transaction): marks the mart's
 * pages all-visible, so the dashboard's window reads are index-only scans at once instead of after
 * autovacuum's next round, and removes the consumed keys' dead rows, which the next incremental
 * refresh would otherwise count and analyze. Pages already all-visible are skipped, so after an
 * unchanged rebuild it reads little (25 ms at 200k orders). Statistics only when a tenth of the
 * rows changed (a first build): ANALYZE of the dataset took 350–550 ms under load.
 */
async function tidyAfterRebuild(sql: Sql, rows: number, changed: number): Promise<void> {
  const tables = sql`performance_measurement_dataset, performance_measurement_daily_total, performance_measurement_refresh_key`;
  await (changed * 10 > rows ? sql`vacuum (analyze) ${tables}` : sql`vacuum ${tables}`);
}
