/**
 * Mart benchmarks, side by side with the legacy procedures on the same Postgres and the same
 * store: full refresh, an incremental refresh after a sync of new orders over the last days,
 * and the dashboard queries. The benchmark script (npm run bench) calls these functions; run
 * alone it loads a generated store into both databases first:
 *
 *   DATABASE_URL=… LEGACY_DATABASE_URL=… node scripts/bench/marts.ts [--orders 200000]
 *     [--products 2000] [--seed 7] [--runs 5] [--skip-load]
 *
 * The two databases must be empty (migrated new schema; legacy schema loaded) unless --skip-load.
 * Every measured pair is checked for equal results, so a figure never comes from wrong work.
 */
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import type { Sql } from '#shared/db/types.ts';
import { loadJsonlLines } from '../../workers/shared/ingest/load.ts';
import { classifyProducts } from '../../workers/shared/marts/classification.ts';
import { getDashboardSummary, getSalesTimeseries, getTopProducts } from '../../workers/shared/marts/dashboard.ts';
import { refreshPerformanceDataset, refreshTouchedKeys } from '../../workers/shared/marts/performance-dataset.ts';
import { ingestLegacyOrders, loadLegacyStore } from '../lib/legacy-store.ts';
import { fixtureLinesOfOrders, withFreshIds } from '../lib/order-edits.ts';
import { requireDatabaseUrl } from '../lib/postgres-url.ts';
import {
  generateStore,
  generateStoreStream,
  type StoreOptions,
  type StorePeriod,
} from '../store-generator/generate.ts';

export interface Timing {
  median: number;
  min: number;
  max: number;
  runs: number;
}

export interface PairResult {
  name: string;
  legacyMs: Timing;
  newMs: Timing;
  /** legacy median / new median: > 1 means the new system is faster */
  speedup: number;
}

export interface MartBenchDatabases {
  legacy: Sql;
  next: Sql;
}

const round = (ms: number) => Math.round(ms * 10) / 10;

export function summarizeTimings(samples: number[]): Timing {
  const sorted = [...samples].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
  return { median: round(median), min: round(sorted[0] ?? 0), max: round(sorted.at(-1) ?? 0), runs: sorted.length };
}

/**
 * Times the legacy and the new side of one measurement, alternating run by run so that load from
 * other processes on a shared machine falls on both alike. `setup` (untimed) runs before each pair.
 */
export async function measurePair(
  runs: number,
  legacyWork: (run: number) => Promise<unknown>,
  newWork: (run: number) => Promise<unknown>,
  setup?: (run: number) => Promise<unknown>,
): Promise<{ legacyMs: Timing; newMs: Timing }> {
  const legacySamples: number[] = [];
  const newSamples: number[] = [];
  for (let run = 0; run < runs; run++) {
    await setup?.(run);
    let started = performance.now();
    await legacyWork(run);
    legacySamples.push(performance.now() - started);
    started = performance.now();
    await newWork(run);
    newSamples.push(performance.now() - started);
  }
  return { legacyMs: summarizeTimings(legacySamples), newMs: summarizeTimings(newSamples) };
}

function pair(name: string, { legacyMs, newMs }: { legacyMs: Timing; newMs: Timing }): PairResult {
  return { name, legacyMs, newMs, speedup: Math.round((legacyMs.median / Math.max(newMs.median, 0.01)) * 10) / 10 };
}

const addDays = (isoDate: string, days: number) =>
  new Date(Date.parse(`${isoDate}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);

// ---------------------------------------------------------------- loading

/** Loads a generated store into both databases: legacy REST functions, and the new ingest loader. */
export async function loadBenchStore(databases: MartBenchDatabases, options: StoreOptions): Promise<StorePeriod> {
  const { legacy, next } = databases;
  const stream = generateStoreStream(options);
  const timezone = stream.shop.ianaTimezone;
  await next`insert into configuration_setting (setting_key, setting_value) values ('shop_timezone', to_jsonb(${timezone}::text))
             on conflict (setting_key) do update set setting_value = excluded.setting_value`;
  await loadLegacyStore(legacy, {
    timezone,
    products: stream.legacyProducts(),
    orders: stream.legacyOrders(),
    deletedProductIds: stream.deletedProductIds(),
  });
  await loadJsonlLines(next, 'products', stream.productLines());
  await loadJsonlLines(next, 'orders', stream.orderLines());
  await loadJsonlLines(next, 'refunds', stream.refundLines());
  await loadJsonlLines(next, 'deletions', stream.deletionLines());
  return stream.period;
}

// ---------------------------------------------------------------- checks

async function martChecksum(sql: Sql, table: 'legacy' | 'new'): Promise<string> {
  const [row] =
    table === 'legacy'
      ? await sql<{ sum: string }[]>`
          select md5(string_agg(concat_ws(',', product_id, metric_date, orders_count, units_sold, units_refunded,
                                          gross_sales, discounts, refunds, net_sales), ';' order by product_id, metric_date)) as sum
          from mart_performance_metrics`
      : await sql<{ sum: string }[]>`
          select md5(string_agg(concat_ws(',', material_artifact_id, measurement_date, orders_count, units_sold_count,
                                          units_refunded_count, gross_sales_measurement_value, discounts_measurement_value,
                                          refunds_measurement_value, aggregate_measurement_value), ';'
                                order by material_artifact_id, measurement_date)) as sum
          from performance_measurement_dataset`;
  return row?.sum ?? '';
}

async function expectSameMart(databases: MartBenchDatabases, after: string): Promise<void> {
  const [legacySum, newSum] = await Promise.all([
    martChecksum(databases.legacy, 'legacy'),
    martChecksum(databases.next, 'new'),
  ]);
  if (legacySum !== newSum)
    throw new Error(`the marts differ after ${after}: the figures would compare different work`);
}

function expectSameResult(name: string, legacy: unknown, next: unknown): void {
  if (JSON.stringify(legacy) !== JSON.stringify(next))
    throw new Error(`${name}: the new result differs from the legacy`);
}

// ---------------------------------------------------------------- measurements

export async function benchFullRefresh(databases: MartBenchDatabases, runs: number): Promise<PairResult> {
  const timings = await measurePair(
    runs,
    () => databases.legacy`select refresh_mart_performance_metrics()`,
    () => refreshPerformanceDataset(databases.next),
  );
  await expectSameMart(databases, 'the full refresh');
  return pair('full refresh', timings);
}

/**
 * Each run loads (untimed) `orders` new orders spread over the last `days` days on both sides,
 * then times the legacy's range refresh of those days against the touched-keys refresh.
 */
export async function benchIncrementalRefresh(
  databases: MartBenchDatabases,
  input: { options: StoreOptions; period: StorePeriod; runs: number; orders?: number; days?: number },
): Promise<PairResult> {
  const orders = input.orders ?? 1000;
  const days = input.days ?? 10;
  const from = addDays(input.period.lastDate, 1 - days);
  const sync = async (run: number) => {
    const delta = generateStore({ ...input.options, orders, startDate: from, days, shuffleChildren: false });
    const fresh = delta.legacy.orders.map((o) => withFreshIds(o, run + 1));
    await ingestLegacyOrders(databases.legacy, fresh);
    const lines = fixtureLinesOfOrders(fresh);
    await loadJsonlLines(databases.next, 'orders', lines.orders);
    await loadJsonlLines(databases.next, 'refunds', lines.refunds);
  };
  const timings = await measurePair(
    input.runs,
    () =>
      databases.legacy`select refresh_mart_performance_metrics(${from}::text::date, ${input.period.lastDate}::text::date)`,
    async () => {
      const result = await refreshTouchedKeys(databases.next);
      if (result.mode !== 'touched') throw new Error(`the incremental refresh rebuilt everything (${result.reason})`);
    },
    sync,
  );
  // after the timings: the check reads both marts whole
  await expectSameMart(databases, 'the incremental syncs');
  return pair(`incremental refresh (${orders} orders over ${days} days)`, timings);
}

export async function benchClassification(
  databases: MartBenchDatabases,
  asOf: string,
  runs: number,
): Promise<PairResult> {
  const timings = await measurePair(
    runs,
    () => databases.legacy`select classify_products(${asOf}::text::date)`,
    () => classifyProducts(databases.next, asOf),
  );
  return pair('classify products', timings);
}

/** The dashboard queries over the `windowDays` days ending at the store's last day. */
export async function benchDashboard(
  databases: MartBenchDatabases,
  input: { period: StorePeriod; runs: number; windowDays?: number },
): Promise<PairResult[]> {
  const { legacy, next } = databases;
  const to = input.period.lastDate;
  const from = addDays(to, 1 - (input.windowDays ?? 30));
  const quarter = { from: addDays(to, -89), to };
  const [topProduct] = await getTopProducts(next, { from, to, limit: 1 });
  const cases: { name: string; legacy: () => Promise<unknown>; next: () => Promise<unknown> }[] = [
    {
      name: 'dashboard summary (30 days)',
      legacy: async () =>
        JSON.parse(
          (
            await legacy<
              { s: string }[]
            >`select get_dashboard_summary(${from}::text::date, ${to}::text::date)::text as s`
          )[0]?.s ?? 'null',
        ),
      next: () => getDashboardSummary(next, { from, to }),
    },
    {
      name: 'top 100 products by net sales (30 days)',
      legacy: () => legacy`select * from get_top_products(${from}::text::date, ${to}::text::date, 100, 'net_sales')`,
      next: () => getTopProducts(next, { from, to, limit: 100, metric: 'net_sales' }),
    },
    {
      name: 'sales time series, all products, by day (90 days)',
      legacy: () =>
        legacy`select * from get_sales_timeseries(${quarter.from}::text::date, ${quarter.to}::text::date, 'day')`,
      next: () => getSalesTimeseries(next, { ...quarter, granularity: 'day' }),
    },
    {
      name: 'sales time series, one product, by week (90 days)',
      legacy: () =>
        legacy`select * from get_sales_timeseries(${quarter.from}::text::date, ${quarter.to}::text::date, 'week', ${String(topProduct?.product_id ?? 0)}::bigint)`,
      next: () => getSalesTimeseries(next, { ...quarter, granularity: 'week', productId: topProduct?.product_id ?? 0 }),
    },
  ];
  const results: PairResult[] = [];
  for (const c of cases) {
    if (c.name.startsWith('dashboard summary')) expectSameResult(c.name, await c.legacy(), await c.next());
    else await Promise.all([c.legacy(), c.next()]); // warm both
    results.push(pair(c.name, await measurePair(input.runs, c.legacy, c.next)));
  }
  return results;
}

export async function runMartBenchmarks(
  databases: MartBenchDatabases,
  input: { options: StoreOptions; period: StorePeriod; runs: number },
): Promise<PairResult[]> {
  const results = [await benchFullRefresh(databases, input.runs)];
  results.push(await benchIncrementalRefresh(databases, input));
  results.push(await benchClassification(databases, input.period.lastDate, input.runs));
  results.push(...(await benchDashboard(databases, input)));
  return results;
}

export function markdownTable(results: PairResult[]): string {
  const ms = (t: Timing) => `${t.median} ms (${t.min}–${t.max})`;
  return [
    '| measurement | legacy median (min–max) | new median (min–max) | speed-up |',
    '|---|---|---|---|',
    ...results.map((r) => `| ${r.name} | ${ms(r.legacyMs)} | ${ms(r.newMs)} | ${r.speedup}× |`),
  ].join('\n');
}

/**
 * The command line of a benchmark run alone (this file, parity.ts): the store to generate
 * (--orders, --products, --seed, --days, --timezone), --runs and --skip-load.
 */
export function benchCommandLine(defaultDays: number): { options: StoreOptions; runs: number; skipLoad: boolean } {
  const { values } = parseArgs({
    options: {
      orders: { type: 'string', default: '200000' },
      products: { type: 'string', default: '2000' },
      seed: { type: 'string', default: '7' },
      runs: { type: 'string', default: '5' },
      days: { type: 'string', default: String(defaultDays) },
      timezone: { type: 'string', default: 'America/New_York' },
      'skip-load': { type: 'boolean', default: false },
    },
  });
  const options: StoreOptions = {
    seed: Number(values.seed),
    products: Number(values.products),
    orders: Number(values.orders),
    days: Number(values.days),
    timezone: values.timezone,
  };
  return { options, runs: Number(values.runs), skipLoad: values['skip-load'] };
}

/** Connects to LEGACY_DATABASE_URL and DATABASE_URL for `work`, and closes both after it. */
export async function withBenchDatabases<T>(work: (databases: MartBenchDatabases) => Promise<T>): Promise<T> {
  const legacy = postgres(requireDatabaseUrl('LEGACY_DATABASE_URL'), { max: 4, onnotice: () => {} });
  const next = postgres(requireDatabaseUrl(), { max: 4, onnotice: () => {} });
  try {
    return await work({ legacy, next });
  } finally {
    await Promise.all([legacy.end({ timeout: 5 }), next.end({ timeout: 5 })]);
  }
}

async function main(): Promise<void> {
  const commandLine = benchCommandLine(365);
  const options: StoreOptions = { ...commandLine.options, startDate: '2025-01-01' };
  await withBenchDatabases(async (databases) => {
    let period: StorePeriod = generateStoreStream({ ...options, orders: 0 }).period;
    if (!commandLine.skipLoad) {
      const started = performance.now();
      period = await loadBenchStore(databases, options);
      console.error(
        `loaded ${options.orders} orders into both databases in ${Math.round(performance.now() - started)} ms`,
      );
    }
    const results = await runMartBenchmarks(databases, { options, period, runs: commandLine.runs });
    console.log(JSON.stringify({ options, period, results }, null, 2));
    console.log(markdownTable(results));
  });
}

if (import.meta.main) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
