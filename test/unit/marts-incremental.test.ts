/**
 * Incremental refresh: after an incremental sync (orders edited across local midnight, cancelled,
 * marked test, refunded on later days, new orders), recomputing only the touched keys gives the
 * same dataset and daily totals as the legacy full refresh and as a full rebuild.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sql } from '#shared/db/types.ts';
import { fixtureLinesOfOrders, withFreshIds } from '../../scripts/lib/order-edits.ts';
import { generateStore, type LegacyOrder } from '../../scripts/store-generator/generate.ts';
import { loadJsonlLines } from '../../workers/shared/ingest/load.ts';
import { refreshPerformanceDataset, refreshTouchedKeys } from '../../workers/shared/marts/performance-dataset.ts';
import {
  ingestLegacyOrders,
  legacyDailyTotals,
  legacyMartRows,
  loadLegacyStore,
  loadNewStore,
  newDailyTotals,
  newMartRows,
} from '../support/marts-oracle.ts';
import { createTestDatabase, type TestDatabase } from '../support/node-databases.ts';

const TIMEZONE = 'America/New_York';
const BASE = { products: 30, timezone: TIMEZONE, startDate: '2026-03-01', days: 20, nearMidnightShare: 0.4 };

/** Loads orders on both sides as a sync would: the new side through the ingest loader. */
async function syncOrders(legacy: Sql, next: Sql, orders: LegacyOrder[]): Promise<void> {
  await ingestLegacyOrders(legacy, orders);
  // The loader records the touched keys itself, before and after upserting each batch.
  const fixture = fixtureLinesOfOrders(orders);
  for (const resource of ['orders', 'refunds'] as const) {
    const summary = await loadJsonlLines(next, resource, fixture[resource]);
    expect(summary.quarantined).toBe(0);
  }
}

const HOUR = 3600_000;
const shift = (timestamp: string, ms: number) => new Date(Date.parse(timestamp) + ms).toISOString();

describe('incremental refresh of touched keys', () => {
  let legacy: TestDatabase;
  let next: TestDatabase;
  const first = generateStore({ ...BASE, seed: 21, orders: 500 });

  async function expectEqualToLegacy(): Promise<void> {
    await legacy.sql`select refresh_mart_performance_metrics()`;
    expect(await newMartRows(next.sql)).toEqual(await legacyMartRows(legacy.sql));
    expect(await newDailyTotals(next.sql)).toEqual(await legacyDailyTotals(legacy.sql));
  }

  async function expectFullRebuildChangesNothing(): Promise<void> {
    const [rows, totals] = [await newMartRows(next.sql), await newDailyTotals(next.sql)];
    await refreshPerformanceDataset(next.sql);
    expect(await newMartRows(next.sql)).toEqual(rows);
    expect(await newDailyTotals(next.sql)).toEqual(totals);
  }

  beforeAll(async () => {
    [legacy, next] = await Promise.all([createTestDatabase('legacy'), createTestDatabase('app')]);
    await loadLegacyStore(legacy.sql, { timezone: TIMEZONE, ...first.legacy });
    await loadNewStore(next.sql, first);
    // The dataset was never built, so the loads recorded no keys.
  });
  afterAll(async () => {
    await Promise.all([legacy?.drop(), next?.drop()]);
  });

  it('the first load records no touched keys; the first refresh of the never-built dataset is a full rebuild', async () => {
    // that refresh rebuilds everything whatever was recorded, so the first load skips the keys
    expect(await next.sql`select * from performance_measurement_refresh_key`).toHaveLength(0);
    const result = await refreshTouchedKeys(next.sql);
    expect(result).toMatchObject({ mode: 'full', reason: 'never_built', timezone: TIMEZONE, keys: 0 });
    await expectEqualToLegacy();
    expect(await next.sql`select * from performance_measurement_refresh_key`).toHaveLength(0);
  });

  it('edits across local midnight, cancellations, test flags and late refunds: touched keys only', async () => {
    const orders = first.legacy.orders;
    const live = orders.filter((o) => !o.test && !o.cancelled_at);
    const edited: LegacyOrder[] = [];
    // Moved by a few minutes to hours, many across local midnight (near-midnight orders), one by days.
    for (const [i, order] of live.slice(0, 40).entries()) {
      edited.push({ ...order, processed_at: shift(order.processed_at, (i % 2 ? 1 : -1) * (0.4 + (i % 5)) * HOUR) });
    }
    edited.push({
      ...(live[41] as LegacyOrder),
      processed_at: shift((live[41] as LegacyOrder).processed_at, 5 * 24 * HOUR),
    });
    // Cancelled, marked test, and the reverse.
    for (const order of live.slice(50, 56)) edited.push({ ...order, cancelled_at: shift(order.processed_at, HOUR) });
    for (const order of live.slice(60, 64)) edited.push({ ...order, test: true });
    for (const order of orders.filter((o) => o.cancelled_at).slice(0, 3)) edited.push({ ...order, cancelled_at: null });
    // Quantities and a line moved to another product.
    for (const order of live.slice(70, 80)) {
      edited.push({
        ...order,
        line_items: order.line_items.map((line, k) =>
          k === 0
            ? {
                ...line,
                quantity: line.quantity + 2,
                product_id: line.product_id ?? first.legacy.products[0]?.id ?? null,
              }
            : line,
        ),
      });
    }
    // Refunds on later days, on orders without one.
    for (const [i, order] of live
      .filter((o) => o.refunds.length === 0)
      .slice(0, 15)
      .entries()) {
      const line = order.line_items[0];
      if (!line) continue;
      edited.push({
        ...order,
        refunds: [
          {
            id: 995_000_000_000 + i,
            created_at: shift(order.processed_at, (1 + (i % 4)) * 24 * HOUR + (i % 3) * HOUR),
            refund_line_items: [{ id: 996_000_000_000 + i, line_item_id: line.id, quantity: 1, subtotal: line.price }],
          },
        ],
      });
    }
    await syncOrders(legacy.sql, next.sql, edited);
    const result = await refreshTouchedKeys(next.sql);
    expect(result.mode).toBe('touched');
    expect(result.keys).toBeGreaterThan(edited.length);
    await expectEqualToLegacy();
    await expectFullRebuildChangesNothing();
  });

  it('a second sync bringing new orders and products: touched keys only', async () => {
    // Another store's orders, days later, under fresh ids (Shopify never moves a line item or a
    // refund to another order, so neither may the test data); its products arrive with it.
    const second = generateStore({ ...BASE, seed: 22, orders: 300, startDate: '2026-03-12', nearMidnightShare: 0.7 });
    await legacy.sql`select ingest_product(p) from jsonb_array_elements(${JSON.stringify(second.legacy.products)}::text::jsonb) p`;
    await loadJsonlLines(next.sql, 'products', second.fixture.products);
    await syncOrders(
      legacy.sql,
      next.sql,
      second.legacy.orders.map((o) => withFreshIds(o)),
    );
    const result = await refreshTouchedKeys(next.sql);
    expect(result.mode).toBe('touched');
    await expectEqualToLegacy();
    await expectFullRebuildChangesNothing();
  });

  it('a date-range rebuild after changes updates only that range, like the legacy range refresh', async () => {
    // Cancel orders inside and outside the range: only the range's rows may change, on both sides.
    const from = '2026-03-06';
    const to = '2026-03-09';
    const live = first.legacy.orders.filter(
      (o) => !o.test && !o.cancelled_at && o.line_items.some((l) => l.product_id),
    );
    const cancelled = [...live.slice(100, 130), ...live.slice(300, 330)].map((o) => ({
      ...o,
      cancelled_at: shift(o.processed_at, HOUR),
    }));
    await syncOrders(legacy.sql, next.sql, cancelled);
    const before = await newMartRows(next.sql);
    await legacy.sql`select refresh_mart_performance_metrics(${from}::text::date, ${to}::text::date)`;
    await refreshPerformanceDataset(next.sql, { from, to });
    const after = await newMartRows(next.sql);
    expect(after).toEqual(await legacyMartRows(legacy.sql));
    const outside = (rows: Record<string, string>[]) =>
      rows.filter((r) => (r.metric_date as string) < from || (r.metric_date as string) > to);
    expect(outside(after)).toEqual(outside(before));
    expect(after).not.toEqual(before);
    // The keys the sync recorded are still pending: the next touched refresh brings the rest.
    expect((await refreshTouchedKeys(next.sql)).mode).toBe('touched');
    await expectEqualToLegacy();
  });

  it('a refresh with nothing recorded changes nothing', async () => {
    const before = await newMartRows(next.sql);
    expect(await refreshTouchedKeys(next.sql)).toMatchObject({ mode: 'touched', keys: 0, rows: 0 });
    expect(await newMartRows(next.sql)).toEqual(before);
  });

  it('a change of shop timezone forces a full rebuild', async () => {
    await legacy.sql`update app_settings set value = to_jsonb('Europe/Berlin'::text) where key = 'shop_timezone'`;
    await next.sql`
      update configuration_setting set setting_value = to_jsonb('Europe/Berlin'::text) where setting_key = 'shop_timezone'`;
    expect(await refreshTouchedKeys(next.sql)).toMatchObject({
      mode: 'full',
      reason: 'timezone_changed',
      timezone: 'Europe/Berlin',
    });
    await expectEqualToLegacy();
  });

  it('too many touched keys: a full rebuild instead', async () => {
    const some = first.legacy.orders.slice(0, 20);
    await syncOrders(
      legacy.sql,
      next.sql,
      some.map((o) => ({ ...o, processed_at: shift(o.processed_at, -3 * HOUR) })),
    );
    expect(await refreshTouchedKeys(next.sql, { fullRebuildKeyThreshold: 5 })).toMatchObject({
      mode: 'full',
      reason: 'too_many_keys',
    });
    await expectEqualToLegacy();
  });
});
