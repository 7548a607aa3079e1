/**
 * The marts against the oracle: the same generated store goes into the legacy schema (its ingest
 * functions, refresh_mart_performance_metrics, classify_products) and into the new raw tables;
 * every mart row, classification and dashboard-function result must be equal, money to the cent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GeneratedStore, generateStore, type StoreOptions } from '../../scripts/store-generator/generate.ts';
import {
  classifyProduct,
  classifyProducts,
  getClassificationDistribution,
} from '../../workers/shared/marts/classification.ts';
import {
  GRANULARITIES,
  getDashboardSummary,
  getSalesTimeseries,
  getTopProducts,
  TOP_PRODUCT_METRICS,
} from '../../workers/shared/marts/dashboard.ts';
import { refreshPerformanceDataset } from '../../workers/shared/marts/performance-dataset.ts';
import {
  addDays,
  legacyClassificationDistribution,
  legacyClassificationRows,
  legacyDailyTotals,
  legacyMartRows,
  legacySummary,
  legacyTimeseries,
  legacyTopProducts,
  loadLegacyStore,
  loadNewStore,
  newClassificationRows,
  newDailyTotals,
  newMartRows,
  setManualClassification,
} from '../support/marts-oracle.ts';
import { createTestDatabase, type TestDatabase } from '../support/node-databases.ts';

const STORES: { name: string; options: StoreOptions }[] = [
  {
    name: 'New York across the spring DST change',
    options: { seed: 11, products: 40, orders: 700, timezone: 'America/New_York', startDate: '2026-02-20', days: 40 },
  },
  {
    name: 'Sydney across its autumn DST change, children shuffled',
    options: {
      seed: 12,
      products: 30,
      orders: 500,
      timezone: 'Australia/Sydney',
      startDate: '2026-03-20',
      days: 30,
      shuffleChildren: true,
    },
  },
  {
    name: 'most orders within minutes of local midnight, New York autumn DST change',
    options: {
      seed: 13,
      products: 25,
      orders: 600,
      timezone: 'America/New_York',
      startDate: '2026-10-15',
      days: 30,
      nearMidnightShare: 0.7,
    },
  },
];

describe.each(STORES)('marts equal the legacy: $name', ({ options }) => {
  let legacy: TestDatabase;
  let next: TestDatabase;
  let store: GeneratedStore;
  let asOf: string;

  beforeAll(async () => {
    [legacy, next] = await Promise.all([createTestDatabase('legacy'), createTestDatabase('app')]);
    store = generateStore(options);
    asOf = store.period.lastDate;
    await loadLegacyStore(legacy.sql, { timezone: store.shop.ianaTimezone, ...store.legacy });
    await loadNewStore(next.sql, store);
    // Staff overrides, the same on both sides: one live product, one deleted product.
    const live = store.legacy.products.find((p) => !store.legacy.deletedProductIds.includes(p.id));
    const deleted = store.legacy.deletedProductIds[0];
    if (live) await setManualClassification(legacy.sql, next.sql, live.id, 'C', 'kept by staff');
    if (deleted !== undefined) await setManualClassification(legacy.sql, next.sql, deleted, 'A', 'deleted but manual');
    await legacy.sql`select refresh_mart_performance_metrics()`;
    await refreshPerformanceDataset(next.sql);
  });
  afterAll(async () => {
    await Promise.all([legacy?.drop(), next?.drop()]);
  });

  it('the store has what the rules are about: deleted products, test and cancelled orders, refunds on later days', () => {
    expect(store.legacy.deletedProductIds.length).toBeGreaterThan(0);
    expect(store.legacy.orders.some((o) => o.test)).toBe(true);
    expect(store.legacy.orders.some((o) => o.cancelled_at !== null)).toBe(true);
    expect(store.legacy.orders.some((o) => o.line_items.some((l) => l.product_id === null))).toBe(true);
    expect(
      store.legacy.orders.some((o) => o.refunds.some((r) => r.created_at.slice(0, 10) !== o.processed_at.slice(0, 10))),
    ).toBe(true);
  });

  it('every performance_measurement_dataset row equals mart_performance_metrics', async () => {
    const expected = await legacyMartRows(legacy.sql);
    expect(expected.length).toBeGreaterThan(100);
    expect(await newMartRows(next.sql)).toEqual(expected);
  });

  it('the daily totals equal the legacy mart summed per day and its orders counted per local day', async () => {
    expect(await newDailyTotals(next.sql)).toEqual(await legacyDailyTotals(legacy.sql));
  });

  it('a date-range rebuild equals the legacy range refresh (bounded, from only, to only)', async () => {
    const middle = addDays(store.period.firstDate, 10);
    for (const [from, to] of [
      [middle, addDays(middle, 6)],
      [middle, null],
      [null, middle],
    ] as const) {
      await legacy.sql`delete from mart_performance_metrics`;
      await next.sql`delete from performance_measurement_dataset`;
      await legacy.sql`select refresh_mart_performance_metrics(${from}::text::date, ${to}::text::date)`;
      const result = await refreshPerformanceDataset(next.sql, { from, to });
      const expected = await legacyMartRows(legacy.sql);
      expect(result.rows).toBe(expected.length);
      expect(await newMartRows(next.sql), `${from}..${to}`).toEqual(expected);
    }
    await legacy.sql`select refresh_mart_performance_metrics()`;
    await refreshPerformanceDataset(next.sql);
    expect(await newMartRows(next.sql)).toEqual(await legacyMartRows(legacy.sql));
    expect(await newDailyTotals(next.sql)).toEqual(await legacyDailyTotals(legacy.sql));
  });

  it('classifies every product as classify_products does, on two dates, keeping manual overrides', async () => {
    for (const day of [asOf, addDays(asOf, 45)]) {
      const [{ n: legacyCount } = { n: -1 }] = await legacy.sql<{ n: number }[]>`
        select classify_products(${day}::text::date) as n`;
      expect(await classifyProducts(next.sql, day)).toBe(legacyCount);
      const expected = await legacyClassificationRows(legacy.sql);
      expect(new Set(expected.map((r) => r.classification)).size).toBeGreaterThan(2);
      expect(await newClassificationRows(next.sql)).toEqual(expected);
      expect((await getClassificationDistribution(next.sql)).data).toEqual(
        await legacyClassificationDistribution(legacy.sql),
      );
    }
    await legacy.sql`select classify_products(${asOf}::text::date)`;
    await classifyProducts(next.sql, asOf);
  });

  it('classifyProduct recomputes one product exactly as the nightly run would', async () => {
    const rows = await legacyClassificationRows(legacy.sql);
    const computed = rows.filter((r) => r.is_manual === 'false');
    for (const row of computed.slice(0, 12)) {
      await next.sql`delete from nominal_classification where material_artifact_id = ${String(row.product_id)}::bigint`;
      const result = await classifyProduct(next.sql, row.product_id as string, asOf);
      expect(result, row.product_id).toMatchObject({ value: row.classification, is_manual: false, note: null });
      expect(result?.computed_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    }
    expect(await newClassificationRows(next.sql)).toEqual(rows);
    const manual = rows.find((r) => r.is_manual === 'true');
    expect(await classifyProduct(next.sql, manual?.product_id as string, asOf)).toMatchObject({
      value: manual?.classification,
      is_manual: true,
    });
    expect(await classifyProduct(next.sql, store.legacy.deletedProductIds[0] as number, asOf)).toBeNull();
  });

  it('the dashboard summary equals get_dashboard_summary for every window', async () => {
    for (const window of windowsOf(store)) {
      const expected = await legacySummary(legacy.sql, window.from, window.to);
      expect(await getDashboardSummary(next.sql, window), JSON.stringify(window)).toEqual(expected);
    }
    const empty = await getDashboardSummary(next.sql, { from: '2020-01-01', to: '2020-01-31' });
    expect(empty.net_sales_change_pct).toBeNull();
  });

  it('top products equal get_top_products for every window, metric and limit', async () => {
    for (const window of windowsOf(store)) {
      for (const metric of TOP_PRODUCT_METRICS) {
        for (const limit of [1, 5, 100, null]) {
          const input = { ...window, metric, limit };
          const expected = await legacyTopProducts(legacy.sql, input);
          expect(await getTopProducts(next.sql, input), JSON.stringify(input)).toEqual(expected);
        }
      }
    }
  });

  it('the sales time series equals get_sales_timeseries for every window, granularity and product', async () => {
    const [top] = await legacyTopProducts(legacy.sql, {
      ...store.period,
      from: store.period.firstDate,
      to: store.period.lastDate,
      limit: 1,
      metric: 'net_sales',
    });
    const refunded = store.legacy.orders
      .find((o) => o.refunds.length > 0 && !o.test && !o.cancelled_at)
      ?.line_items.find((l) => l.product_id !== null)?.product_id;
    const productIds = [null, top?.product_id ?? null, store.legacy.deletedProductIds[0] ?? null, refunded ?? null, 1];
    for (const window of windowsOf(store)) {
      for (const granularity of GRANULARITIES) {
        for (const productId of productIds) {
          const input = { ...window, granularity, productId };
          const expected = await legacyTimeseries(legacy.sql, input);
          expect(await getSalesTimeseries(next.sql, input), JSON.stringify(input)).toEqual(expected);
        }
      }
    }
  });
});

function windowsOf(store: GeneratedStore): { from: string; to: string }[] {
  const { firstDate, lastDate } = store.period;
  return [
    { from: firstDate, to: lastDate },
    { from: firstDate, to: addDays(firstDate, 6) },
    { from: addDays(lastDate, -29), to: lastDate },
    { from: addDays(firstDate, 9), to: addDays(firstDate, 9) },
    { from: addDays(firstDate, 12), to: addDays(lastDate, 20) },
    { from: addDays(firstDate, -40), to: addDays(firstDate, -1) },
  ];
}
