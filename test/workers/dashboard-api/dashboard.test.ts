/**
 * Scenarios 3, 4 and 5: the dashboard summary, time series and top products answer exactly what
 * the legacy get_dashboard_summary / get_sales_timeseries / get_top_products return on the same
 * generated store, through workerd against Postgres; plus the date window rules.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sql } from '#shared/db/types.ts';
import { addDays, legacySummary, legacyTimeseries, legacyTopProducts } from '../../support/marts-oracle.ts';
import { type Api, openApiWithStaff, openTestSql } from './support/api.ts';
import { type LoadedStore, loadStoreOnBothSides } from './support/store.ts';

let api: Api;
let sql: Sql;
let legacy: Sql;
let loaded: LoadedStore;
let legacyYesterday: string;
let bestSeller: number;

beforeAll(async () => {
  ({ api, sql } = await openApiWithStaff());
  legacy = openTestSql('legacy');
  // 70 days ending yesterday (shop-local), so the default 30-day windows hold sales.
  loaded = await loadStoreOnBothSides(sql, legacy, {
    seed: 41,
    products: 30,
    orders: 500,
    timezone: 'America/New_York',
    days: 70,
  });
  const [row] = await legacy<{ yesterday: string }[]>`
    select ((now() at time zone shop_timezone())::date - 1)::text as yesterday`;
  legacyYesterday = row?.yesterday as string;
  const [top] = await legacyTopProducts(legacy, {
    from: loaded.store.period.firstDate,
    to: legacyYesterday,
    limit: 1,
    metric: 'net_sales',
  });
  bestSeller = top?.product_id as number;
});

afterAll(async () => {
  await sql.end({ timeout: 5 });
  await legacy.end({ timeout: 5 });
});

function windows(): { from: string; to: string }[] {
  const { firstDate, lastDate } = loaded.store.period;
  return [
    { from: firstDate, to: lastDate },
    { from: addDays(lastDate, -6), to: lastDate },
    { from: addDays(firstDate, 10), to: addDays(firstDate, 10) },
    { from: addDays(firstDate, -40), to: addDays(firstDate, 3) },
  ];
}

describe('GET /api/dashboard/summary', () => {
  it('defaults to the 30 shop-local days ending yesterday and equals get_dashboard_summary', async () => {
    const response = await api.get('/api/dashboard/summary');
    expect(response.status).toBe(200);
    expect(response.body.to).toBe(legacyYesterday);
    expect(response.body.from).toBe(addDays(legacyYesterday, -29));
    expect(response.body).toEqual(await legacySummary(legacy, response.body.from, response.body.to));
    expect(response.body.orders).toBeGreaterThan(0);
  });

  it('equals get_dashboard_summary for explicit windows, and `from` alone defaults `to`', async () => {
    for (const { from, to } of windows()) {
      const response = await api.get(`/api/dashboard/summary?from=${from}&to=${to}`);
      expect(response.status).toBe(200);
      expect(response.body, `${from}..${to}`).toEqual(await legacySummary(legacy, from, to));
    }
    const onlyTo = await api.get(`/api/dashboard/summary?to=${loaded.store.period.lastDate}`);
    expect(onlyTo.body).toEqual(
      await legacySummary(legacy, addDays(loaded.store.period.lastDate, -29), loaded.store.period.lastDate),
    );
  });
});

describe('GET /api/dashboard/timeseries', () => {
  it('equals get_sales_timeseries for each granularity, for all products and for one', async () => {
    for (const { from, to } of windows()) {
      for (const granularity of ['day', 'week', 'month'] as const) {
        for (const productId of [null, bestSeller]) {
          const query = `from=${from}&to=${to}&granularity=${granularity}${productId ? `&product_id=${productId}` : ''}`;
          const response = await api.get(`/api/dashboard/timeseries?${query}`);
          expect(response.status).toBe(200);
          expect(response.body, query).toEqual({
            data: await legacyTimeseries(legacy, { from, to, granularity, productId }),
          });
        }
      }
    }
  });

  it('defaults to days over the default window, zero-filled', async () => {
    const response = await api.get('/api/dashboard/timeseries');
    expect(response.body.data).toHaveLength(30);
    expect(response.body).toEqual({
      data: await legacyTimeseries(legacy, {
        from: addDays(legacyYesterday, -29),
        to: legacyYesterday,
        granularity: 'day',
        productId: null,
      }),
    });
    expect(Object.keys(response.body.data[0])).toEqual([
      'period_start',
      'net_sales',
      'gross_sales',
      'refunds',
      'units_sold',
    ]);
  });
});

describe('GET /api/dashboard/top-products', () => {
  it('equals get_top_products for both metrics and several limits', async () => {
    for (const { from, to } of windows()) {
      for (const metric of ['net_sales', 'units_sold'] as const) {
        for (const limit of [1, 5, 100, 500]) {
          const response = await api.get(
            `/api/dashboard/top-products?from=${from}&to=${to}&metric=${metric}&limit=${limit}`,
          );
          expect(response.status).toBe(200);
          expect(response.body, `${from}..${to} ${metric} ${limit}`).toEqual({
            data: await legacyTopProducts(legacy, { from, to, limit, metric }),
          });
        }
      }
    }
  });

  it('defaults to net sales, limit 100, over the default window', async () => {
    const response = await api.get('/api/dashboard/top-products');
    expect(response.body.data.length).toBeGreaterThan(0);
    expect(response.body).toEqual({
      data: await legacyTopProducts(legacy, {
        from: addDays(legacyYesterday, -29),
        to: legacyYesterday,
        limit: 100,
        metric: 'net_sales',
      }),
    });
    expect(Object.keys(response.body.data[0])).toEqual([
      'rank',
      'product_id',
      'title',
      'net_sales',
      'units_sold',
      'orders_count',
    ]);
  });
});

describe('the date window', () => {
  it.each([
    ['from after to', 'from=2026-03-02&to=2026-03-01', 'must not be after to'],
    ['a window of 732 days', 'from=2024-01-01&to=2026-01-01', 'spans 732 days; at most 731'],
    ['a date that does not exist', 'from=2026-02-30&to=2026-03-01', 'must be a real calendar date'],
    ['a timestamp', 'to=2026-03-01T00:00:00Z', 'must be a date YYYY-MM-DD'],
    ['a year before 1900', 'from=0001-01-01&to=0001-01-02', 'must be a real calendar date'],
  ])('is a 400 for %s on every dashboard route', async (_, query, message) => {
    for (const path of ['/api/dashboard/summary', '/api/dashboard/timeseries', '/api/dashboard/top-products']) {
      const response = await api.get(`${path}?${query}`);
      expect(response.status).toBe(400);
      expect(response.body.error.code).toBe('invalid_request');
      expect(JSON.stringify(response.body.error.details)).toContain(message);
    }
  });

  it('accepts exactly 731 days', async () => {
    const response = await api.get('/api/dashboard/summary?from=2024-01-01&to=2025-12-31');
    expect(response.status).toBe(200);
    expect(response.body).toEqual(await legacySummary(legacy, '2024-01-01', '2025-12-31'));
  });

  it('is a 400 for an unknown granularity or metric and limits outside 1–500', async () => {
    for (const path of [
      '/api/dashboard/timeseries?granularity=year',
      '/api/dashboard/timeseries?product_id=abc',
      '/api/dashboard/top-products?metric=revenue',
      '/api/dashboard/top-products?limit=0',
      '/api/dashboard/top-products?limit=501',
      '/api/dashboard/top-products?limit=2.5',
    ]) {
      const response = await api.get(path);
      expect(response.status, path).toBe(400);
      expect(response.body.error.code).toBe('invalid_request');
    }
  });
});
