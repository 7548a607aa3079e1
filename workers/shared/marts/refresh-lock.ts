/**
 * What every performance-mart refresh shares: the advisory lock that runs them one at a time, the
 * state row of the last full rebuild, and the shapes of their arguments and results.
 */
import type { Queryable } from '#shared/db/types.ts';

/** Arbitrary but fixed: every mart refresh holds this transaction-scoped advisory lock. */
export const REFRESH_LOCK_KEY = 4_127_330_118;

export interface RefreshResult {
  mode: 'full' | 'range' | 'touched';
  /** Dataset rows written (for full and range: inserted, like the legacy function's result). */
  rows: number;
  /** Recorded keys consumed (touched mode and its fallbacks). */
  keys: number;
  /** Why a touched refresh rebuilt everything instead. */
  reason?: 'never_built' | 'timezone_changed' | 'too_many_keys';
  timezone: string;
}

/** A shop-local date 'YYYY-MM-DD', or null for unbounded. */
export interface DateRange {
  from?: string | null;
  to?: string | null;
}

/** Takes the refresh lock for the rest of the transaction. */
export async function lockRefresh(tx: Queryable): Promise<void> {
  await tx`select pg_advisory_xact_lock(${REFRESH_LOCK_KEY}::bigint)`;
}

export async function recordFullRebuild(tx: Queryable, timezone: string): Promise<void> {
  await tx`
    insert into performance_measurement_refresh_state (singleton, shop_timezone, full_refresh_at)
    values (true, ${timezone}, now())
    on conflict (singleton) do update
      set shop_timezone = excluded.shop_timezone, full_refresh_at = excluded.full_refresh_at`;
}

/** A recomputed dataset row replaces the stored row's figures (the rebuild's and the incremental's upsert). */
export const REPLACE_DATASET_FIGURES = `on conflict (material_artifact_id, measurement_date) do update set
  orders_count = excluded.orders_count, units_sold_count = excluded.units_sold_count,
  units_refunded_count = excluded.units_refunded_count,
  gross_sales_measurement_value = excluded.gross_sales_measurement_value,
  discounts_measurement_value = excluded.discounts_measurement_value,
  refunds_measurement_value = excluded.refunds_measurement_value,
  aggregate_measurement_value = excluded.aggregate_measurement_value`;
