/**
 * Part of the fault matrix of the ingest Worker (RELIABILITY.md), inside workerd through Hyperdrive
 * and miniflare's real queue and R2. Each test injects one fault into a real run and compares the
 * rows it ends with against a clean run of the same store (the legacy functions on the same data):
 * nothing lost, nothing duplicated. The counts are recorded by test/support/reliability.ts.
 *
 * Postgres drops the connection of a load step and of a mart refresh (pg_terminate_backend of the
 * Worker's backend, held deterministically behind a lock the test owns): the step is given back to
 * the queue and completes on redelivery.
 */
import { env } from 'cloudflare:workers';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { generateStore } from '#scripts/store-generator/generate.ts';
import type { Sql } from '#shared/db/types.ts';
import type { Env } from '#shared/env.ts';
import { refreshPerformanceDataset } from '#shared/marts/performance-dataset.ts';
import { recordExecution } from '#shared/procedures/execution.ts';
import {
  legacyDailyTotals,
  legacyMartRows,
  loadLegacyStore,
  loadNewStore,
  newDailyTotals,
  newMartRows,
} from '../../support/marts-oracle.ts';
import { expectSameRows, recordFault } from '../../support/reliability.ts';
import { archiveLines } from './support/archived-lines.ts';
import { waitForExecution } from './support/executions.ts';
import { clearIngestState, closeFaultDatabases, openFaultDatabases } from './support/fault-databases.ts';
import { dropConnectionBlockedBy, holdInTransaction, terminatedBackendGone } from './support/postgres-faults.ts';
import { expectProductTablesOfTheStore } from './support/store-checks.ts';

const bindings = env as unknown as Env;
let sql: Sql;
let legacy: Sql;

beforeAll(() => {
  ({ sql, legacy } = openFaultDatabases());
});
afterAll(() => closeFaultDatabases(sql, legacy));
beforeEach(() => clearIngestState(sql, legacy));

describe('Postgres drops the connection', () => {
  it('fault: mid-load (staging the fourth archive segment) — the step is redelivered, resumes from its checkpoint and loads every row once', {
    tags: ['fault'],
  }, async () => {
    const store = generateStore({ seed: 61, products: 60, orders: 0, shuffleChildren: true });
    const entity = await archiveLines(sql, bindings.RAW_ARCHIVE, 'products', store.fixture.products);
    expect(entity.segment_index.length).toBeGreaterThan(4);
    const execution = await recordExecution(sql, {
      kind: 'load',
      triggerSource: 'test',
      parameters: { information_bearing_entity_id: entity.information_bearing_entity_id },
    });
    const id = execution.procedure_execution_id;
    // An uncommitted row under the load's first line of segment 4: its staging insert waits on it.
    const fourthSegmentFirstLine = entity.segment_index[3]?.[2] as number;
    const holder = await holdInTransaction(
      sql,
      (h) => h`insert into ingest_staged_object (load_key, line_number, resource_name, object_type, object_id, payload)
                 values (${id}, ${fourthSegmentFirstLine}, 'products', 'Product', 1, '{}')`,
    );
    await bindings.INGEST_QUEUE.send({ procedureExecutionId: id, step: 0 });
    const killed = await dropConnectionBlockedBy(sql, holder);

    const done = await waitForExecution(sql, id, { timeoutMs: 90_000 });
    recordFault(
      'Postgres connection dropped mid-load',
      `pg_terminate_backend(${killed}) while it staged line ${fourthSegmentFirstLine} (segment 4)`,
      `${await terminatedBackendGone(sql, killed)}; execution ${done.status} after ${done.attempt_count} claims`,
    );
    expect(done.status, done.error_text ?? '').toBe('succeeded');
    expect(done.attempt_count, 'claimed again after the dropped connection').toBeGreaterThanOrEqual(2);
    expect(done.checkpoint_state).toMatchObject({
      counts: { linesRead: store.fixture.products.length, quarantined: 0 },
    });
    await expectProductTablesOfTheStore(legacy, sql, store);
    const [staged] = await sql`select count(*)::int as n from ingest_staged_object`;
    expect(staged?.n).toBe(0);
  });

  it('fault: mid-refresh (the full mart rebuild, before it commits) — redelivered, the mart equals the legacy refresh', {
    tags: ['fault'],
  }, async () => {
    const store = generateStore({ seed: 62, products: 15, orders: 200, timezone: 'America/New_York' });
    await loadLegacyStore(legacy, { timezone: store.shop.ianaTimezone, ...store.legacy });
    await legacy`select refresh_mart_performance_metrics()`;
    await loadNewStore(sql, store);
    // The refresh-state row exists after a first build; the rebuild updates it last, inside its
    // transaction, so holding it stops the rebuild after all its work and before its commit.
    await refreshPerformanceDataset(sql);
    await sql`truncate performance_measurement_dataset, performance_measurement_daily_total`;
    const holder = await holdInTransaction(
      sql,
      (h) => h`select * from performance_measurement_refresh_state for update`,
    );
    const execution = await recordExecution(sql, {
      kind: 'marts',
      triggerSource: 'test',
      parameters: { mode: 'full', classify: false },
    });
    await bindings.INGEST_QUEUE.send({ procedureExecutionId: execution.procedure_execution_id, step: 0 });
    const killed = await dropConnectionBlockedBy(sql, holder);

    const done = await waitForExecution(sql, execution.procedure_execution_id, { timeoutMs: 90_000 });
    recordFault(
      'Postgres connection dropped mid-refresh',
      `pg_terminate_backend(${killed}) at the rebuild's last statement`,
      `${await terminatedBackendGone(sql, killed)}; execution ${done.status} after ${done.attempt_count} claims`,
    );
    expect(done.status, done.error_text ?? '').toBe('succeeded');
    expect(done.attempt_count).toBeGreaterThanOrEqual(2);
    const asText = (rows: Record<string, string>[]) => rows.map((row) => JSON.stringify(row));
    expectSameRows(asText(await legacyMartRows(legacy)), asText(await newMartRows(sql)), 'mart_performance_metrics');
    expectSameRows(
      asText(await legacyDailyTotals(legacy)),
      asText(await newDailyTotals(sql)),
      'performance_measurement_daily_total',
    );
  });
});
