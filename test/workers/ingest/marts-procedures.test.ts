/**
 * The marts and classify ProcedureExecutions inside workerd, through Hyperdrive: a `marts` run
 * rebuilds the dataset and enqueues `classify` (refresh → classify), a touched-keys run after a
 * load recomputes what the load touched, and both equal the legacy procedures on the same store.
 */
import { createExecutionContext, createMessageBatch, getQueueResult } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureLinesOfOrders } from '#scripts/lib/order-edits.ts';
import { generateStore } from '#scripts/store-generator/generate.ts';
import type { Sql } from '#shared/db/types.ts';
import type { Env } from '#shared/env.ts';
import { loadJsonlLines } from '#shared/ingest/load.ts';
import { getDashboardSummary } from '#shared/marts/dashboard.ts';
import { type ProcedureExecutionRow, recordExecution } from '#shared/procedures/execution.ts';
import type { IngestMessage } from '#shared/procedures/messages.ts';
import worker from '#workers/ingest/src/index.ts';
import {
  ingestLegacyOrders,
  legacyClassificationRows,
  legacyMartRows,
  legacySummary,
  loadLegacyStore,
  loadNewStore,
  newClassificationRows,
  newMartRows,
} from '../../support/marts-oracle.ts';
import { openTestSql } from '../support/test-sql.ts';

const bindings = env as unknown as Env;
let sql: Sql;
let legacy: Sql;

/** Messages the steps send (the child classify), kept instead of delivered, so the test runs them. */
const sent: IngestMessage[] = [];
const capturingEnv: Env = {
  ...bindings,
  INGEST_QUEUE: { send: async (body: IngestMessage) => void sent.push(body) } as unknown as Env['INGEST_QUEUE'],
};

async function deliver(procedureExecutionId: string): Promise<ProcedureExecutionRow> {
  const batch = createMessageBatch<IngestMessage>('ingest-jobs', [
    { id: `message-${procedureExecutionId}`, timestamp: new Date(), attempts: 1, body: { procedureExecutionId } },
  ]);
  const ctx = createExecutionContext();
  await worker.queue(batch, capturingEnv, ctx);
  expect((await getQueueResult(batch, ctx)).explicitAcks).toHaveLength(1);
  const [row] = await sql<ProcedureExecutionRow[]>`
    select * from procedure_execution where procedure_execution_id = ${procedureExecutionId}`;
  if (!row) throw new Error(`execution ${procedureExecutionId} is gone`);
  return row;
}

const store = generateStore({
  seed: 31,
  products: 20,
  orders: 250,
  timezone: 'America/New_York',
  nearMidnightShare: 0.3,
});

beforeAll(async () => {
  sql = openTestSql();
  legacy = openTestSql('legacy');
  await loadLegacyStore(legacy, { timezone: store.shop.ianaTimezone, ...store.legacy });
  await loadNewStore(sql, store);
});
afterAll(async () => {
  await sql.end({ timeout: 5 });
  await legacy.end({ timeout: 5 });
});

describe('marts procedures in the ingest Worker', () => {
  it('a marts run rebuilds the dataset, then its classify child classifies, both as the legacy nightly job', async () => {
    const execution = await recordExecution(sql, { kind: 'marts', triggerSource: 'test', concurrencyKey: 'marts' });
    const done = await deliver(execution.procedure_execution_id);
    expect(done).toMatchObject({ status: 'succeeded', error_text: null });
    await legacy`select refresh_mart_performance_metrics()`;
    const expected = await legacyMartRows(legacy);
    expect(done.rows_processed_count).toBe(expected.length);
    expect(await newMartRows(sql)).toEqual(expected);

    expect(sent).toHaveLength(1);
    const [child] = await sql<ProcedureExecutionRow[]>`
      select * from procedure_execution where procedure_execution_id = ${sent[0]?.procedureExecutionId ?? null}::uuid`;
    expect(child).toMatchObject({
      procedure_kind: 'classify',
      status: 'queued',
      parent_procedure_execution_id: execution.procedure_execution_id,
    });
    const classified = await deliver(child?.procedure_execution_id as string);
    expect(classified.status).toBe('succeeded');
    await legacy`select classify_products()`;
    expect(await newClassificationRows(sql)).toEqual(await legacyClassificationRows(legacy));
    expect(classified.rows_processed_count).toBe((await legacyClassificationRows(legacy)).length);
  });

  it('a touched-keys run after a load recomputes what the load touched, equal to the legacy full refresh', async () => {
    const edited = store.legacy.orders
      .filter((o) => !o.test)
      .slice(0, 30)
      .map((o, i) => ({
        ...o,
        processed_at: new Date(Date.parse(o.processed_at) + (i % 2 ? 1 : -1) * 50 * 60_000).toISOString(),
        cancelled_at: i % 7 === 0 ? o.processed_at : o.cancelled_at,
      }));
    await ingestLegacyOrders(legacy, edited);
    await loadJsonlLines(sql, 'orders', fixtureLinesOfOrders(edited).orders);
    const [{ pending } = { pending: 0 }] = await sql<{ pending: number }[]>`
      select count(*)::int as pending from performance_measurement_refresh_key`;
    expect(pending).toBeGreaterThan(0);

    sent.length = 0;
    const execution = await recordExecution(sql, {
      kind: 'marts',
      triggerSource: 'test',
      parameters: { mode: 'touched' },
    });
    expect(await deliver(execution.procedure_execution_id)).toMatchObject({ status: 'succeeded' });
    expect(sent).toHaveLength(0); // touched refreshes do not classify unless asked
    await legacy`select refresh_mart_performance_metrics()`;
    expect(await newMartRows(sql)).toEqual(await legacyMartRows(legacy));
    const window = { from: store.period.firstDate, to: store.period.lastDate };
    expect(await getDashboardSummary(sql, window)).toEqual(await legacySummary(legacy, window.from, window.to));
    const [{ left } = { left: -1 }] = await sql<{ left: number }[]>`
      select count(*)::int as left from performance_measurement_refresh_key`;
    expect(left).toBe(0);
  });

  it('a run with bad parameters fails and records why', async () => {
    const execution = await recordExecution(sql, {
      kind: 'marts',
      triggerSource: 'test',
      parameters: { mode: 'touched', from: '2026-01-01' },
    });
    const failed = await deliver(execution.procedure_execution_id);
    expect(failed.status).toBe('failed');
    expect(failed.error_text).toContain('a touched-keys refresh takes no from/to');

    const classify = await recordExecution(sql, {
      kind: 'classify',
      triggerSource: 'test',
      parameters: { as_of: 'soon' },
    });
    const refused = await deliver(classify.procedure_execution_id);
    expect(refused.status).toBe('failed');
    expect(refused.error_text).toMatch(/^Error: invalid classify parameters: .*Invalid ISO date\n.*at as_of/s);
  });
});
