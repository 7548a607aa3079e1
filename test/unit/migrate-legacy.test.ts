/**
 * The one-time data migration end to end, as an operator runs it (`npm run migrate:legacy -- …`
 * in a child process): a legacy database built from a generated store through the legacy's own
 * functions plus staff-made and edge-case rows, migrated into a freshly migrated target.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mappingForLegacyTable, TABLE_MAPPINGS } from '../../db/names-map.ts';
import {
  AWKWARD_TEXT,
  buildLegacyDatabase,
  DST_INSTANTS,
  EXTREMES,
  legacyRowsAsNew,
  migrateLegacy,
  newRows,
  STAFF_EMAILS,
  snapshotDatabase,
} from '../support/legacy-migration-fixture.ts';
import { createTestDatabase, type TestDatabase } from '../support/node-databases.ts';

const STAFF_TABLES = ['profiles', 'app_settings', 'sync_runs'];
/** The staff-made part of the mixed tables: what no Shopify sync could ever bring back. */
const STAFF_MADE_ROWS: Record<string, string> = {
  tags: "id in (select tag_id from tag_classifications where source = 'manual')",
  tag_classifications: "source = 'manual'",
  assets: 'shopify_image_id is null',
  product_asset_mappings: "source = 'manual'",
  product_classifications: 'is_manual',
};

describe('npm run migrate:legacy', () => {
  let legacy: TestDatabase;
  const legacyCounts = new Map<string, number>();

  beforeAll(async () => {
    legacy = await createTestDatabase('legacy');
    await buildLegacyDatabase(legacy.sql, { seed: 20261122, products: 30, orders: 250 });
    for (const { legacyTable } of TABLE_MAPPINGS) {
      const [row] = await legacy.sql.unsafe<{ n: number }[]>(`select count(*)::int as n from ${legacyTable}`);
      legacyCounts.set(legacyTable, row?.n ?? 0);
    }
  });
  afterAll(() => legacy.drop());

  it('builds a legacy database with rows in every table (so every test below has something to lose)', () => {
    for (const { legacyTable } of TABLE_MAPPINGS) expect(legacyCounts.get(legacyTable), legacyTable).toBeGreaterThan(0);
  });

  it('assess inventories every legacy table and finds nothing blocking in a clean legacy database', async () => {
    const target = await createTestDatabase('app');
    try {
      const result = await migrateLegacy(['assess', '--json'], { legacy: legacy.url, target: target.url });
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      const report = JSON.parse(result.stdout);
      expect(report.blockers).toEqual([]);
      expect(report.tables.map((t: { legacyTable: string }) => t.legacyTable)).toEqual(
        TABLE_MAPPINGS.map((m) => m.legacyTable),
      );
      for (const t of report.tables) {
        expect(t.legacyRows, t.legacyTable).toBe(legacyCounts.get(t.legacyTable));
        expect(t.legacyBytes, t.legacyTable).toBeGreaterThan(0);
        expect(t.targetRows).toBe(0);
        expect(t.columns.map((c: { legacyColumn: string }) => c.legacyColumn)).toEqual(
          Object.keys(mappingForLegacyTable(t.legacyTable).columns),
        );
      }
      const profiles = report.tables.find((t: { legacyTable: string }) => t.legacyTable === 'profiles');
      expect(profiles.columns).toContainEqual({
        legacyColumn: 'is_master',
        outcome: expect.stringMatching(/^not carried over: .*checked: is_master = \(role = 'master'\)/),
      });
      const syncRuns = report.tables.find((t: { legacyTable: string }) => t.legacyTable === 'sync_runs');
      expect(syncRuns.columns).toContainEqual({ legacyColumn: 'started_at', outcome: '→ requested_at, started_at' });
    } finally {
      await target.drop();
    }
  });

  it('plan lists the steps in foreign-key order with their batches, then verify', async () => {
    const target = await createTestDatabase('app');
    try {
      const result = await migrateLegacy(['plan', '--batch-size', '40', '--json'], {
        legacy: legacy.url,
        target: target.url,
      });
      expect(result.code).toBe(0);
      const { steps } = JSON.parse(result.stdout);
      expect(steps.map((s: { legacyTable: string }) => s.legacyTable)).toEqual(
        TABLE_MAPPINGS.map((m) => m.legacyTable),
      );
      for (const step of steps) {
        const rows = legacyCounts.get(step.legacyTable) ?? 0;
        expect(step).toMatchObject({ action: 'copy', rowsLeft: rows, batches: Math.floor(rows / 40) + 1 });
      }
      const text = await migrateLegacy(['plan', '--batch-size', '40'], { legacy: legacy.url, target: target.url });
      expect(text.stdout).toMatch(/ 1\. profiles → person \[staff\]: copy \d+ rows/);
      expect(text.stdout).toMatch(/16\. verify/);
    } finally {
      await target.drop();
    }
  });

  it('a dry run copies and verifies everything inside one transaction, reports it, and leaves the target unchanged', async () => {
    const target = await createTestDatabase('app');
    try {
      const before = await snapshotDatabase(target.sql);
      const result = await migrateLegacy(['run', '--dry-run', '--batch-size', '64'], {
        legacy: legacy.url,
        target: target.url,
      });
      expect(result.code).toBe(0);
      for (const { legacyTable, newTable } of TABLE_MAPPINGS) {
        expect(result.stdout).toContain(
          `${legacyTable} → ${newTable}: would copy ${legacyCounts.get(legacyTable)} rows`,
        );
      }
      expect(result.stdout).toContain(`verify: all ${TABLE_MAPPINGS.length} table(s) match`);
      expect(result.stdout).toContain('everything was rolled back, the target is unchanged');
      expect(await snapshotDatabase(target.sql)).toEqual(before);
    } finally {
      await target.drop();
    }
  });

  describe('after a run', () => {
    let target: TestDatabase;
    let run: Awaited<ReturnType<typeof migrateLegacy>>;

    beforeAll(async () => {
      target = await createTestDatabase('app');
      run = await migrateLegacy(['run', '--batch-size', '37'], { legacy: legacy.url, target: target.url });
    });
    afterAll(() => target.drop());

    it('copies every table in batches, records each as completed, and its own verify passes', async () => {
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      for (const { legacyTable } of TABLE_MAPPINGS) {
        const rows = legacyCounts.get(legacyTable) ?? 0;
        expect(run.stdout).toContain(
          `${legacyTable} → ${mappingForLegacyTable(legacyTable).newTable}: copied ${rows} rows in ${Math.floor(rows / 37) + 1} batch(es)`,
        );
      }
      expect(run.stdout).toContain(`verify: all ${TABLE_MAPPINGS.length} table(s) match`);
      const checkpoints = await target.sql<{ legacy_table_name: string; status: string; rows: number }[]>`
        select legacy_table_name, status, rows_copied_count::int as rows from data_migration_checkpoint`;
      expect(Object.fromEntries(checkpoints.map((c) => [c.legacy_table_name, [c.status, c.rows]]))).toEqual(
        Object.fromEntries(TABLE_MAPPINGS.map((m) => [m.legacyTable, ['completed', legacyCounts.get(m.legacyTable)]])),
      );
    });

    it('every mapped value of every row arrives exactly (full comparison, value by value)', async () => {
      for (const { legacyTable } of TABLE_MAPPINGS) {
        expect(await newRows(target.sql, legacyTable), legacyTable).toEqual(
          await legacyRowsAsNew(legacy.sql, legacyTable),
        );
      }
    });

    it('staff-made data survives exactly: persons and roles, manual tags, assets, mappings, overrides, settings, sync history', async () => {
      for (const legacyTable of STAFF_TABLES) {
        const rows = await legacyRowsAsNew(legacy.sql, legacyTable);
        expect(rows.length, legacyTable).toBeGreaterThan(0);
        expect(await newRows(target.sql, legacyTable), legacyTable).toEqual(rows);
      }
      for (const [legacyTable, where] of Object.entries(STAFF_MADE_ROWS)) {
        const legacyRows = await legacyRowsAsNew(legacy.sql, legacyTable, where);
        expect(legacyRows.length, legacyTable).toBeGreaterThan(0);
        const keys = legacyRows.map((r) => Object.values(r)[0]);
        const mapping = mappingForLegacyTable(legacyTable);
        const keyColumn = Object.keys(legacyRows[0] ?? {})[0] as string;
        const migrated = await newRows(
          target.sql,
          legacyTable,
          `"${keyColumn}"::text in (${keys.map((k) => `'${k}'`).join(', ')})`,
        );
        expect(migrated, `${legacyTable} → ${mapping.newTable}`).toEqual(legacyRows);
      }

      const people = await target.sql<
        { email: string; full_name: string | null; role_name: string; created: string }[]
      >`
        select email, full_name, role_name, to_char(created_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') as created
        from person order by email`;
      expect(people).toEqual([
        {
          email: STAFF_EMAILS.admin,
          full_name: AWKWARD_TEXT.combining,
          role_name: 'admin',
          created: '2026-03-08 07:00:00.000000',
        },
        { email: STAFF_EMAILS.nameless, full_name: null, role_name: 'viewer', created: '2026-03-29 01:00:00.000000' },
        {
          email: STAFF_EMAILS.master,
          full_name: 'Store Owner',
          role_name: 'master',
          created: '2026-03-08 06:59:59.999999',
        },
        {
          email: STAFF_EMAILS.viewer,
          full_name: AWKWARD_TEXT.rtl,
          role_name: 'viewer',
          created: '2026-11-01 06:30:00.000000',
        },
        {
          email: STAFF_EMAILS.staff,
          full_name: AWKWARD_TEXT.emoji,
          role_name: 'staff',
          created: '2026-11-01 05:30:00.000000',
        },
      ]);
      const [failedRun] = await target.sql<{ error_text: string; same_instants: boolean }[]>`
        select error_text, requested_at = started_at and started_at = ${DST_INSTANTS[2]}::text::timestamptz as same_instants
        from procedure_execution where status = 'failed'`;
      expect(failedRun).toEqual({
        error_text: `Shopify answered 429\n\tat fetch (sync.js:12)\n${AWKWARD_TEXT.copyEscapes}`,
        same_instants: true,
      });
      const [preferences] = await target.sql<{ value: unknown }[]>`
        select setting_value as value from configuration_setting where setting_key = 'dashboard_preferences'`;
      expect(preferences?.value).toEqual({
        greeting: AWKWARD_TEXT.rtl,
        note: AWKWARD_TEXT.copyEscapes,
        thresholds: { low_stock: 3, margin: 0.125, huge: 1e21 },
        empty: {},
        nothing: null,
      });
      const assets = await target.sql<{ alt_text: string | null }[]>`
        select alt_text from media_content_entity where shopify_image_id is null order by media_kind`;
      expect(assets.map((a) => a.alt_text)).toEqual([
        AWKWARD_TEXT.nullWord, // ad_creative
        AWKWARD_TEXT.backslashN, // document
        null, // image
        AWKWARD_TEXT.copyEscapes, // video
      ]);
    });

    it('keeps numeric extremes, int limits, infinity and odd array elements exactly', async () => {
      const [sale] = await target.sql<Record<string, string>[]>`
        select subtotal_price_measurement_value::text as subtotal, total_discounts_measurement_value::text as discounts,
               total_price_measurement_value::text as total
        from act_of_sale where act_of_sale_id = ${EXTREMES.int64Max}::bigint`;
      expect(sale).toEqual({
        subtotal: EXTREMES.money14,
        discounts: EXTREMES.money14Negative,
        total: EXTREMES.money14,
      });
      const [artifact] = await target.sql<Record<string, unknown>[]>`
        select published_at::text as published, shopify_tag_names as tags from material_artifact
        where material_artifact_id = ${EXTREMES.int64Max}::bigint`;
      expect(artifact).toEqual({ published: 'infinity', tags: ['{curly}', 'quote"d', 'comma,in', 'NULL', ''] });
      const [variant] = await target.sql<Record<string, unknown>[]>`
        select price_measurement_value::text as price, compare_at_price_measurement_value::text as compare,
               inventory_count as inventory from material_artifact_variant
        where material_artifact_variant_id = ${EXTREMES.int64Max}::bigint`;
      expect(variant).toEqual({
        price: EXTREMES.money12,
        compare: `-${EXTREMES.money12}`,
        inventory: EXTREMES.int32Min,
      });
    });

    it('re-running after success changes nothing', async () => {
      const before = await snapshotDatabase(target.sql);
      const again = await migrateLegacy(['run', '--batch-size', '5'], { legacy: legacy.url, target: target.url });
      expect(again.code).toBe(0);
      for (const { legacyTable, newTable } of TABLE_MAPPINGS) {
        expect(again.stdout).toContain(`${legacyTable} → ${newTable}: already migrated, skipped`);
      }
      expect(again.stdout).toContain('0 rows copied');
      expect(await snapshotDatabase(target.sql)).toEqual(before);
    });

    it('verify exits 1 and names the tables and keys that differ, with the differing columns', async () => {
      const tampered = await createTestDatabase('app');
      try {
        const copy = await migrateLegacy(['run', '--no-verify'], { legacy: legacy.url, target: tampered.url });
        expect(copy.code).toBe(0);
        const [person] = await tampered.sql<{ id: string }[]>`
          update person set full_name = 'Someone Else' where email = ${STAFF_EMAILS.staff} returning person_id::text as id`;
        const [line] = await tampered.sql<{ id: string }[]>`
          delete from act_of_sale_line where act_of_sale_line_id = (select min(act_of_sale_line_id) from act_of_sale_line
            where act_of_sale_line_id not in (select act_of_sale_line_id from act_of_refund_line))
          returning act_of_sale_line_id::text as id`;
        const [tag] = await tampered.sql<{ id: string }[]>`
          insert into tag_designation (tag_name) values ('smuggled in') returning tag_designation_id::text as id`;

        const result = await migrateLegacy(['verify', '--json', '--spot-checks', '3'], {
          legacy: legacy.url,
          target: tampered.url,
        });
        expect(result.code).toBe(1);
        const report = JSON.parse(result.stdout);
        const byTable = Object.fromEntries(
          report.tables.map((t: { legacyTable: string }) => [t.legacyTable, t]),
        ) as Record<string, { ok: boolean; differences: unknown[] }>;
        expect(
          Object.entries(byTable)
            .filter(([, t]) => !t.ok)
            .map(([name]) => name)
            .sort(),
        ).toEqual(['order_line_items', 'profiles', 'tags']);
        expect(byTable.profiles?.differences).toEqual([
          {
            key: [person?.id],
            problem: 'differs',
            columns: [{ column: 'full_name', legacy: AWKWARD_TEXT.emoji, target: 'Someone Else' }],
          },
        ]);
        expect(byTable.order_line_items?.differences).toEqual([
          { key: [line?.id], problem: 'missing in target', columns: [] },
        ]);
        expect(byTable.tags?.differences).toEqual([{ key: [tag?.id], problem: 'only in target', columns: [] }]);

        const text = await migrateLegacy(['verify'], { legacy: legacy.url, target: tampered.url });
        expect(text.code).toBe(1);
        expect(text.stdout).toContain(
          `id=${person?.id}: differs (full_name: legacy ${JSON.stringify(AWKWARD_TEXT.emoji)}, target "Someone Else")`,
        );
        expect(text.stdout).toContain(`id=${line?.id}: missing in target`);
        expect(text.stdout).toContain('verify: 3 table(s) differ: profiles, order_line_items, tags');
      } finally {
        await tampered.drop();
      }
    });
  });
});
