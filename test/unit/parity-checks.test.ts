/**
 * The parity checks on one generated store loaded into both databases through their real paths
 * (legacy ingest functions + nightly procedures; new loader + marts): everything passes, and each
 * discrepancy class injected into the new side fails exactly the check that covers it, with
 * details that say where, while the others stay green.
 *
 * Each injection runs inside a transaction on each database that is rolled back afterwards, so the
 * tests share one loaded store; `runParityChecks` reads through those transactions.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Queryable, Tx } from '#shared/db/types.ts';
import { generateStore } from '../../scripts/store-generator/generate.ts';
import { compareValues, type ParityCheckResult } from '../../workers/shared/parity/comparison.ts';
import { type ParityRun, type ParityRunOptions, runParityChecks } from '../../workers/shared/parity/runner.ts';
import { diffPerformanceMart } from '../../workers/shared/parity/segment-diff.ts';
import { legacySide, newSide } from '../../workers/shared/parity/sides.ts';
import { createTestDatabase, type TestDatabase } from '../support/node-databases.ts';
import { loadStoreIntoBoth } from '../support/parity-stores.ts';

let legacyDb: TestDatabase;
let newDb: TestDatabase;
let baseline: ParityRun;

// Enough products that a top 100 leaves some out, enough orders that every day has sales.
const store = generateStore({ seed: 61, products: 160, orders: 4000, days: 60, timezone: 'America/New_York' });

class Rollback extends Error {}

/** Applies `inject` to the databases, runs the checks, and rolls both back. */
async function runWith(
  inject: (sides: { legacy: Tx; new: Tx }) => Promise<unknown>,
  options: ParityRunOptions = {},
): Promise<ParityRun> {
  let run: ParityRun | undefined;
  await legacyDb.sql
    .begin(async (legacy) => {
      await newDb.sql.begin(async (next) => {
        await inject({ legacy, new: next });
        run = await runParityChecks(legacy, next, options);
        throw new Rollback();
      });
    })
    .catch((error: unknown) => {
      if (!(error instanceof Rollback)) throw error;
    });
  if (!run) throw new Error('the run did not complete');
  return run;
}

function check(run: ParityRun, name: ParityCheckResult['name']): ParityCheckResult {
  const result = run.checks.find((c) => c.name === name);
  if (!result) throw new Error(`no ${name} check in the run`);
  return result;
}

function verdicts(run: ParityRun): Record<string, string> {
  return Object.fromEntries(run.checks.map((c) => [c.name, c.verdict]));
}

function onlyFailing(...names: ParityCheckResult['name'][]): Record<string, string> {
  return Object.fromEntries(baseline.checks.map((c) => [c.name, names.includes(c.name) ? 'fail' : 'pass']));
}

beforeAll(async () => {
  [legacyDb, newDb] = await Promise.all([createTestDatabase('legacy'), createTestDatabase('app')]);
  await loadStoreIntoBoth(legacyDb.sql, newDb.sql, store);
  baseline = await runParityChecks(legacyDb.sql, newDb.sql);
});

afterAll(async () => {
  await Promise.all([legacyDb?.drop(), newDb?.drop()]);
});

describe('compareValues', () => {
  it('passes zero on both sides, fails a value present on one side only, and uses the symmetric relative difference', () => {
    expect(compareValues(0, 0, 0.01)).toMatchObject({ verdict: 'pass', difference: 0 });
    expect(compareValues(null, null, 0.01)).toMatchObject({ verdict: 'pass', difference: 0 });
    expect(compareValues(null, 0, 0.01)).toMatchObject({ verdict: 'pass' });
    expect(compareValues(null, 5, 0.01)).toMatchObject({ verdict: 'fail', difference: 1 });
    expect(compareValues(7, null, 0.01)).toMatchObject({ verdict: 'fail', difference: 1 });
    expect(compareValues(100, 99.5, 0.01)).toMatchObject({ verdict: 'pass', difference: 0.005 });
    expect(compareValues(99.5, 100, 0.01)).toMatchObject({ verdict: 'pass', difference: 0.005 });
    expect(compareValues(100, 99, 0.01)).toMatchObject({ verdict: 'fail', difference: 0.01 });
    expect(compareValues(-50, 50, 0.01)).toMatchObject({ verdict: 'fail', difference: 2 });
  });
});

/** The window's top products on the legacy side (the oracle), rank order. */
async function legacyTop(sql: Queryable, limit: number): Promise<{ product_id: string; net_sales: string }[]> {
  return sql`
    select product_id::text, net_sales::text
    from get_top_products(${baseline.window.from}::text::date, ${baseline.window.to}::text::date, ${limit}, 'net_sales')`;
}

async function datasetKeys(sql: Queryable, where: string): Promise<string[]> {
  const rows = await sql.unsafe<{ key: string }[]>(
    `select material_artifact_id::text || '|' || measurement_date::text as key
     from performance_measurement_dataset where ${where} order by 1`,
  );
  return rows.map((r) => r.key);
}

describe('parity checks on one store loaded into both systems', () => {
  it('all checks pass, with the values the legacy database itself gives', async () => {
    expect(verdicts(baseline)).toEqual(onlyFailing());
    expect(baseline.verdict).toBe('pass');
    const [legacyCount] = await legacyDb.sql<{ n: number }[]>`
      select count(*)::int as n from mart_performance_metrics where metric_date <= ${baseline.window.throughDate}::text::date`;
    expect(check(baseline, 'dataset_row_count')).toMatchObject({
      legacy_value: legacyCount?.n,
      new_value: legacyCount?.n,
      difference: 0,
      details: { checksums_match: true, differing_keys: [] },
    });
    const top = await legacyTop(legacyDb.sql, 100);
    expect(top).toHaveLength(100);
    expect(check(baseline, 'top_products')).toMatchObject({
      legacy_value: Math.round(top.reduce((s, p) => s + Number(p.net_sales), 0) * 100) / 100,
      details: { overlap: 100, only_legacy: [], only_new: [], differing: [] },
    });
    const [mappings] = await legacyDb.sql<{ n: number }[]>`select count(*)::int as n from product_asset_mappings`;
    expect(check(baseline, 'denotation_coverage')).toMatchObject({ legacy_value: mappings?.n, new_value: mappings?.n });
    const [tags] = await legacyDb.sql<{ n: number }[]>`select count(*)::int as n from tag_classifications`;
    expect(check(baseline, 'tag_count')).toMatchObject({ legacy_value: tags?.n, new_value: tags?.n });
    const buckets = await legacyDb.sql<{ classification: string; n: number }[]>`
      select classification, count(*)::int as n from product_classifications group by 1`;
    expect(check(baseline, 'classification_distribution').legacy_value).toEqual({
      A: 0,
      B: 0,
      C: 0,
      NEW: 0,
      DORMANT: 0,
      ...Object.fromEntries(buckets.map((b) => [b.classification, b.n])),
    });
    // The window: 30 days ending on the day before the watermark's shop-local day.
    expect(baseline.window.to).toBe(baseline.window.throughDate);
    const [row] = await newDb.sql<{ day: string }[]>`
      select ((${baseline.window.watermarkAt}::text::timestamptz at time zone ${store.shop.ianaTimezone})::date - 1)::text as day`;
    expect(baseline.window.throughDate).toBe(row?.day);
  });

  it('missing mart rows beyond the tolerance fail the dataset check, which names the missing keys with the legacy rows', async () => {
    const run = await runWith(async (db) => {
      await db.new`
        delete from performance_measurement_dataset
        where measurement_date < ${baseline.window.from}::text::date and material_artifact_id % 7 = 0`;
    });
    expect(verdicts(run)).toEqual(onlyFailing('dataset_row_count'));
    const dataset = check(run, 'dataset_row_count');
    expect(dataset.difference).toBeGreaterThanOrEqual(0.01);
    const keys = dataset.details.differing_keys as {
      product_id: number;
      metric_date: string;
      difference: string;
      legacy: Record<string, unknown> | null;
      new: unknown;
    }[];
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) {
      expect(key.difference).toBe('missing_on_new');
      expect(key.product_id % 7).toBe(0);
      expect(key.metric_date < baseline.window.from).toBe(true);
      expect(key.new).toBeNull();
      expect(key.legacy).toMatchObject({ product_id: key.product_id, metric_date: key.metric_date });
    }
    expect(dataset.details.summary).toMatch(/missing on new/);
  });

  it('a few missing rows stay within the tolerance, and the sample names exactly those keys', async () => {
    let deleted: string[] = [];
    const run = await runWith(async (db) => {
      deleted = await datasetKeys(
        db.new,
        `measurement_date < '${baseline.window.from}' and (material_artifact_id, measurement_date) in
           (select material_artifact_id, measurement_date from performance_measurement_dataset
            where measurement_date < '${baseline.window.from}' order by md5(material_artifact_id::text || measurement_date::text) limit 5)`,
      );
      await db.new.unsafe(
        `delete from performance_measurement_dataset where material_artifact_id::text || '|' || measurement_date::text = any($1)`,
        [deleted],
      );
    });
    expect(deleted).toHaveLength(5);
    expect(verdicts(run)).toEqual(onlyFailing());
    const dataset = check(run, 'dataset_row_count');
    expect(dataset.details.checksums_match).toBe(false);
    const keys = (dataset.details.differing_keys as { product_id: number; metric_date: string }[]).map(
      (k) => `${k.product_id}|${k.metric_date}`,
    );
    expect(keys.sort()).toEqual(deleted);
    expect(dataset.details.differing_keys_truncated).toBe(false);
  });

  it('the bisection narrows down to single keys, splitting product ranges and then days', async () => {
    let changed: string[] = [];
    let result: Awaited<ReturnType<typeof diffPerformanceMart>> | undefined;
    await legacyDb.sql
      .begin(async (legacy) => {
        await newDb.sql.begin(async (next) => {
          changed = await datasetKeys(
            next,
            `(material_artifact_id, measurement_date) in (select material_artifact_id, measurement_date
               from performance_measurement_dataset order by md5(material_artifact_id::text || measurement_date::text) limit 3)`,
          );
          await next.unsafe(
            `update performance_measurement_dataset set units_refunded_count = units_refunded_count + 1
             where material_artifact_id::text || '|' || measurement_date::text = any($1)`,
            [changed],
          );
          // Tiny segments: every level splits in two until a segment is one product on one day.
          result = await diffPerformanceMart(legacySide(legacy), newSide(next), {
            throughDate: baseline.window.throughDate,
            firstLevelParts: 2,
            fanOut: 2,
            leafRows: 1,
            maxSegmentsPerLevel: 64,
          });
          throw new Rollback();
        });
      })
      .catch((error: unknown) => {
        if (!(error instanceof Rollback)) throw error;
      });
    expect(result?.identical).toBe(false);
    expect(result?.levels).toBeGreaterThan(10);
    expect(result?.sample.map((k) => `${k.product_id}|${k.metric_date}`).sort()).toEqual(changed);
    for (const key of result?.sample ?? []) {
      expect(key).toMatchObject({ difference: 'values', columns: ['units_refunded'] });
      expect(Number(key.new?.units_refunded)).toBe(Number(key.legacy?.units_refunded) + 1);
    }
  });

  it('the differing-keys sample is bounded and says so', async () => {
    const run = await runWith(
      async (db) => {
        await db.new`delete from performance_measurement_dataset where extract(day from measurement_date)::int % 3 = 0`;
      },
      { sampleLimit: 7 },
    );
    const dataset = check(run, 'dataset_row_count');
    expect(dataset.verdict).toBe('fail');
    expect(dataset.details.differing_keys).toHaveLength(7);
    expect(dataset.details.differing_keys_truncated).toBe(true);
  });

  it("a product's net sales changed beyond the tolerance fail the top-100 check, naming the product and both values", async () => {
    const [target] = (await legacyTop(legacyDb.sql, 30)).slice(-1);
    if (!target) throw new Error('no product ranked 30');
    const run = await runWith(async (db) => {
      await db.new`
        update performance_measurement_dataset
        set aggregate_measurement_value = round(aggregate_measurement_value * 1.05, 2)
        where material_artifact_id = ${target.product_id}::bigint
          and measurement_date between ${baseline.window.from}::text::date and ${baseline.window.to}::text::date`;
    });
    expect(verdicts(run)).toEqual(onlyFailing('top_products'));
    const top = check(run, 'top_products');
    const differing = top.details.differing as Record<string, unknown>[];
    expect(differing).toHaveLength(1);
    expect(differing[0]).toMatchObject({
      product_id: Number(target.product_id),
      legacy_rank: 30,
      legacy_net_sales: Number(target.net_sales),
    });
    expect(differing[0]?.difference).toBeCloseTo(0.05 / 1.05, 3);
    // The dataset check keeps its verdict on counts but shows the changed rows.
    const keys = check(run, 'dataset_row_count').details.differing_keys as { difference: string; columns: string[] }[];
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) expect(key).toMatchObject({ difference: 'values', columns: ['net_sales'] });
  });

  it('values changed below the tolerance pass every check', async () => {
    const run = await runWith(async (db) => {
      await db.new`
        update performance_measurement_dataset
        set aggregate_measurement_value = round(aggregate_measurement_value * 1.004, 2)`;
    });
    expect(verdicts(run)).toEqual(onlyFailing());
    expect(check(run, 'top_products').difference).toBeGreaterThan(0);
    expect(check(run, 'daily_net_sales').difference).toBeGreaterThan(0);
  });

  it("one day's net sales beyond the tolerance fail the daily check for that day only", async () => {
    const days = check(baseline, 'daily_net_sales').details.days as { date: string; legacy: number }[];
    const quietest = days.reduce((a, b) => (b.legacy < a.legacy ? b : a));
    const [day, dayTotal] = [quietest.date, quietest.legacy];
    const [hundredth] = (await legacyTop(legacyDb.sql, 100)).slice(-1);
    // A sale of 1.5% of the quietest day, too small to enter the top 100, on a product the legacy never saw.
    const extra = Math.round(dayTotal * 1.5) / 100;
    expect(extra).toBeLessThan(Number(hundredth?.net_sales));
    const run = await runWith(async (db) => {
      await db.new`
        insert into performance_measurement_dataset
          (material_artifact_id, measurement_date, orders_count, units_sold_count, units_refunded_count,
           gross_sales_measurement_value, discounts_measurement_value, refunds_measurement_value, aggregate_measurement_value)
        values (1, ${day}::text::date, 1, 1, 0, ${extra}, 0, 0, ${extra})`;
    });
    expect(verdicts(run)).toEqual(onlyFailing('daily_net_sales'));
    const result = check(run, 'daily_net_sales');
    const after = result.details.days as { date: string; verdict: string; legacy: number; new: number }[];
    expect(after).toHaveLength(30);
    expect(after.filter((d) => d.verdict === 'fail')).toEqual([
      expect.objectContaining({ date: day, legacy: dayTotal, new: Math.round((dayTotal + extra) * 100) / 100 }),
    ]);
    expect(result.details.summary).toContain(day);
    expect(check(run, 'dataset_row_count').details.differing_keys).toEqual([
      expect.objectContaining({ product_id: 1, metric_date: day, difference: 'missing_on_legacy', legacy: null }),
    ]);
  });

  it('a product dropped from the new top 100 fails the top-100 check, naming it and the product that took its place', async () => {
    const top = await legacyTop(legacyDb.sql, 101);
    const dropped = top[94];
    const promoted = top[100];
    if (!dropped || !promoted) throw new Error('fewer than 101 products sold in the window');
    const run = await runWith(async (db) => {
      await db.new`
        delete from performance_measurement_dataset
        where material_artifact_id = ${dropped.product_id}::bigint
          and measurement_date between ${baseline.window.from}::text::date and ${baseline.window.to}::text::date`;
    });
    expect(verdicts(run)).toEqual(onlyFailing('top_products'));
    const result = check(run, 'top_products');
    expect(result.difference).toBe(1);
    expect(result.details).toMatchObject({
      overlap: 99,
      only_legacy: [{ product_id: Number(dropped.product_id), rank: 95, net_sales_on_new: 0 }],
      only_new: [
        { product_id: Number(promoted.product_id), rank: 100, net_sales_on_legacy: Number(promoted.net_sales) },
      ],
    });
  });

  it('a missing classification bucket fails the distribution check only, naming the bucket', async () => {
    const run = await runWith(async (db) => {
      await db.new`delete from nominal_classification where classification_code = 'C'`;
    });
    expect(verdicts(run)).toEqual(onlyFailing('classification_distribution'));
    const result = check(run, 'classification_distribution');
    const buckets = result.details.buckets as { bucket: string; missing_on: string | null; verdict: string }[];
    expect(buckets.find((b) => b.bucket === 'C')).toMatchObject({ missing_on: 'new', verdict: 'fail' });
    expect(buckets.filter((b) => b.verdict === 'fail').map((b) => b.bucket)).toEqual(['C']);
    expect(result.details.summary).toMatch(/C missing on new/);
    expect((result.details.differing_products as { new: string | null }[])[0]).toMatchObject({
      legacy: 'C',
      new: null,
    });
  });

  it('extra mappings on the new side fail the denotation check, naming the products and the extra assets', async () => {
    const run = await runWith(async (db) => {
      await db.new`insert into media_content_entity (media_kind, url) values ('ad_creative', 'https://ads.example/summer.png')`;
      await db.new`
        insert into denotation_relation (material_artifact_id, media_content_entity_id, role_name, source_system)
        select p.material_artifact_id, m.media_content_entity_id, 'ad', 'manual'
        from material_artifact p, media_content_entity m
        where m.url = 'https://ads.example/summer.png' and p.material_artifact_id % 3 = 0`;
    });
    expect(verdicts(run)).toEqual(onlyFailing('denotation_coverage'));
    const result = check(run, 'denotation_coverage');
    expect(result.new_value as number).toBeGreaterThan(result.legacy_value as number);
    const products = result.details.differing_products as {
      product_id: number;
      only_new: { member: string; source: string }[];
      only_legacy: unknown[];
    }[];
    expect(products.length).toBeGreaterThan(0);
    for (const p of products) {
      expect(p.product_id % 3).toBe(0);
      expect(p.only_new).toEqual([{ member: 'https://ads.example/summer.png', source: 'manual' }]);
      expect(p.only_legacy).toEqual([]);
    }
    expect(result.details.by_source).toContainEqual(
      expect.objectContaining({ source: 'manual', legacy: 0, verdict: 'fail' }),
    );
  });

  it('missing mappings on the new side fail the denotation check, naming the missing Shopify images', async () => {
    const run = await runWith(async (db) => {
      await db.new`delete from denotation_relation where material_artifact_id % 5 = 0`;
    });
    expect(verdicts(run)).toEqual(onlyFailing('denotation_coverage'));
    const products = check(run, 'denotation_coverage').details.differing_products as {
      product_id: number;
      only_legacy: { member: string }[];
      new_count: number;
    }[];
    expect(products.length).toBeGreaterThan(0);
    for (const p of products) {
      expect(p.product_id % 5).toBe(0);
      expect(p.new_count).toBe(0);
      expect(p.only_legacy.length).toBeGreaterThan(0);
      for (const m of p.only_legacy) expect(m.member).toMatch(/^shopify image \d+$/);
    }
  });

  it('extra tags on the new side fail the tag check, naming the products and the tag', async () => {
    const run = await runWith(async (db) => {
      await db.new`insert into tag_designation (tag_name) values ('staff-pick')`;
      await db.new`
        insert into tag_content_entity (material_artifact_id, tag_designation_id, source_system)
        select p.material_artifact_id, t.tag_designation_id, 'manual'
        from material_artifact p, tag_designation t
        where t.tag_name = 'staff-pick' and p.material_artifact_id % 4 = 0`;
    });
    expect(verdicts(run)).toEqual(onlyFailing('tag_count'));
    const products = check(run, 'tag_count').details.differing_products as { only_new: { member: string }[] }[];
    expect(products.length).toBeGreaterThan(0);
    for (const p of products) expect(p.only_new).toEqual([{ member: 'staff-pick', source: 'manual' }]);
  });

  it('missing tags on the new side fail the tag check, naming the tags each product lacks', async () => {
    let removed = 0;
    const run = await runWith(async (db) => {
      const result = await db.new`
        delete from tag_content_entity tc using tag_designation t
        where t.tag_designation_id = tc.tag_designation_id and t.tag_name = 'sale'`;
      removed = result.count;
    });
    expect(removed).toBeGreaterThan(0);
    expect(verdicts(run)).toEqual(onlyFailing('tag_count'));
    const result = check(run, 'tag_count');
    expect((result.legacy_value as number) - (result.new_value as number)).toBe(removed);
    expect(result.details.differing_product_count).toBe(removed);
    for (const p of result.details.differing_products as { only_legacy: { member: string }[] }[]) {
      expect(p.only_legacy).toEqual([{ member: 'sale', source: 'shopify' }]);
    }
  });

  it('compares dated data only up to the common watermark: the newer system may have more recent days', async () => {
    const run = await runWith(async (db) => {
      // The legacy last synced three days ago and has nothing dated after that yet.
      await db.legacy`delete from sync_runs`;
      await db.legacy`insert into sync_runs (kind, status, started_at, finished_at)
                      values ('orders', 'succeeded', now() - interval '3 days 1 hour', now() - interval '3 days')`;
      await db.legacy`
        delete from mart_performance_metrics
        where metric_date >= ((now() - interval '3 days') at time zone ${store.shop.ianaTimezone})::date`;
    });
    expect(run.window.legacySyncAt).not.toBeNull();
    expect(run.window.watermarkAt).toBe(run.window.legacySyncAt);
    expect(run.window.throughDate < baseline.window.throughDate).toBe(true);
    expect(check(run, 'dataset_row_count')).toMatchObject({ verdict: 'pass', details: { checksums_match: true } });
    expect(verdicts(run)).toEqual(onlyFailing());
  });

  it('empty on both sides fails, nothing to compare; a check that cannot run is an error with its cause, and the others still answer', async () => {
    const [emptyLegacy, emptyNew] = await Promise.all([createTestDatabase('legacy'), createTestDatabase('app')]);
    try {
      const empty = await runParityChecks(emptyLegacy.sql, emptyNew.sql);
      // Zero on both sides agrees, but a window without dated data on either side proves nothing.
      expect(empty.verdict).toBe('fail');
      expect(empty.checks.filter((c) => c.verdict === 'fail').map((c) => c.name)).toEqual(['daily_net_sales']);
      expect(check(empty, 'daily_net_sales').details.summary).toMatch(
        /^nothing to compare: neither system has dated data \(mart_performance_metrics rows\) from /,
      );
      expect(empty.window.watermarkAt).toBeNull();
      await emptyLegacy.sql`drop function get_top_products(date, date, integer, text)`;
      const run = await runParityChecks(emptyLegacy.sql, emptyNew.sql);
      expect(run.verdict).toBe('error');
      expect(check(run, 'top_products')).toMatchObject({
        verdict: 'error',
        details: { summary: expect.stringMatching(/get_top_products/) },
      });
      expect(run.checks.filter((c) => c.verdict === 'pass')).toHaveLength(4);
    } finally {
      await Promise.all([emptyLegacy.drop(), emptyNew.drop()]);
    }
  });
});
