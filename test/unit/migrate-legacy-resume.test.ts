/**
 * kill -9 in the middle of a table, then resume: the result is identical to a run that was never
 * interrupted. To stop the run mid-table deterministically (not by timing), the test holds an
 * uncommitted target row with the key of a row in the third batch of `orders`: the migration's
 * COPY of that batch waits on the test's transaction with two batches committed, and is killed
 * there.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildLegacyDatabase,
  migrateLegacy,
  migrateLegacyCommand,
  snapshotDatabase,
} from '../support/legacy-migration-fixture.ts';
import { createTestDatabase, type TestDatabase } from '../support/node-databases.ts';
import { expectSameTables, recordFault } from '../support/reliability.ts';

const BATCH = 50;

async function waitFor(condition: () => Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('migrate:legacy run killed with SIGKILL mid-table', () => {
  let legacy: TestDatabase;
  let interrupted: TestDatabase;
  let uninterrupted: TestDatabase;

  beforeAll(async () => {
    [legacy, interrupted, uninterrupted] = await Promise.all([
      createTestDatabase('legacy'),
      createTestDatabase('app'),
      createTestDatabase('app'),
    ]);
    await buildLegacyDatabase(legacy.sql, { seed: 99, products: 20, orders: 400 });
  });
  afterAll(() => Promise.all([legacy.drop(), interrupted.drop(), uninterrupted.drop()]));

  it('fault: resumes after the last committed batch and ends identical to an uninterrupted run', {
    tags: ['fault'],
  }, async () => {
    const urls = { legacy: legacy.url, target: interrupted.url };
    const [third] = await legacy.sql<{ id: string }[]>`
      select id::text from orders order by id offset ${2 * BATCH + 7} limit 1`;
    expect(third).toBeDefined();

    // The obstacle: an uncommitted act_of_sale row with that key, on a connection of its own.
    const obstacle = await interrupted.sql.reserve();
    await obstacle`begin`;
    await obstacle`
      insert into act_of_sale (act_of_sale_id, order_name, processed_at, created_at, updated_at, currency_code,
                               subtotal_price_measurement_value, total_price_measurement_value)
      values (${third?.id as string}::bigint, 'obstacle', now(), now(), now(), 'USD', 0, 0)`;

    const { child, done } = migrateLegacyCommand(['run', '--batch-size', String(BATCH)], urls);
    try {
      await waitFor(async () => {
        const [state] = await interrupted.sql<{ rows: number | null; waiting: number }[]>`
          select (select rows_copied_count::int from data_migration_checkpoint where legacy_table_name = 'orders') as rows,
                 (select count(*)::int from pg_stat_activity
                  where application_name = 'migrate-legacy' and wait_event_type = 'Lock') as waiting`;
        return state?.rows === 2 * BATCH && state.waiting > 0;
      }, 'the run to block in the third batch of orders');
      child.kill('SIGKILL');
      const killed = await done;
      recordFault(
        'a migration run killed mid-table',
        `SIGKILL to migrate:legacy (pid ${child.pid}) blocked in the 3rd batch of orders`,
        `the process exited by signal ${killed.signal}`,
      );
      expect(killed.signal).toBe('SIGKILL');
    } finally {
      await obstacle`rollback`;
      obstacle.release();
    }

    // Killed mid-table: earlier tables complete, orders exactly two batches in, later tables untouched.
    const checkpoints = await interrupted.sql<{ legacy_table_name: string; status: string; rows: number }[]>`
      select legacy_table_name, status, rows_copied_count::int as rows from data_migration_checkpoint
      order by legacy_table_name`;
    expect(checkpoints.find((c) => c.legacy_table_name === 'orders')).toEqual({
      legacy_table_name: 'orders',
      status: 'copying',
      rows: 2 * BATCH,
    });
    expect(checkpoints.map((c) => c.legacy_table_name).sort()).toEqual(
      ['app_settings', 'orders', 'product_variants', 'products', 'profiles'].sort(),
    );
    const [{ sales } = { sales: -1 }] = await interrupted.sql<{ sales: number }[]>`
      select count(*)::int as sales from act_of_sale`;
    expect(sales).toBe(2 * BATCH);

    const resumed = await migrateLegacy(['run', '--batch-size', String(BATCH)], urls);
    expect(resumed.stderr).toBe('');
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain('profiles → person: already migrated, skipped');
    expect(resumed.stdout).toMatch(/orders → act_of_sale: copied \d+ rows in \d+ batch\(es\) \(resumed after \d+\)/);
    expect(resumed.stdout).toContain('verify: all 15 table(s) match');

    const straight = await migrateLegacy(['run', '--batch-size', String(BATCH)], {
      legacy: legacy.url,
      target: uninterrupted.url,
    });
    expect(straight.code).toBe(0);

    // Identical: every table, every row (the checkpoint table only differs in its timestamps).
    const except = ['data_migration_checkpoint', 'schema_migrations'];
    expectSameTables(
      await snapshotDatabase(uninterrupted.sql, except),
      await snapshotDatabase(interrupted.sql, except),
    );
    const progress = (sql: TestDatabase['sql']) => sql`
      select legacy_table_name, status, last_legacy_key, rows_copied_count, batch_count
      from data_migration_checkpoint order by legacy_table_name`;
    expect(await progress(interrupted.sql)).toEqual(await progress(uninterrupted.sql));
  });
});
