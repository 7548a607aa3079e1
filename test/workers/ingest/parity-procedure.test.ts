/**
 * The parity_check ProcedureExecution inside the ingest Worker (workerd, Hyperdrive to both
 * databases, miniflare's real queue): the daily Cron Trigger starts one, the queue consumer runs
 * it against a generated store loaded into both databases through their real paths, and the
 * results land in parity_check_execution.
 */
import { createExecutionContext, createMessageBatch, getQueueResult, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateStore } from '#scripts/store-generator/generate.ts';
import { closeDatabase, openDatabase } from '#shared/db/client.ts';
import type { Sql } from '#shared/db/types.ts';
import type { Env } from '#shared/env.ts';
import { log } from '#shared/logging.ts';
import type { ParityCheckResult } from '#shared/parity/comparison.ts';
import { parityCheckStep } from '#shared/parity/parity-check.procedure.ts';
import { recordExecution } from '#shared/procedures/execution.ts';
import type { IngestMessage } from '#shared/procedures/messages.ts';
import worker from '#workers/ingest/src/index.ts';
import { loadStoreIntoBoth } from '../../support/parity-stores.ts';
import { openTestSql } from '../support/test-sql.ts';
import { waitForExecution } from './support/executions.ts';
import { runCron } from './support/worker-events.ts';

const bindings = env as unknown as Env;
let sql: Sql;
let legacy: Sql;

const store = generateStore({ seed: 62, products: 40, orders: 600, days: 45, timezone: 'Europe/Berlin' });

interface StoredRun {
  verdict: string;
  window_from_date: string;
  window_to_date: string;
  through_date: string | null;
  watermark_at: string | null;
  check_results: string;
}

async function storedRuns(procedureExecutionId: string): Promise<(StoredRun & { checks: ParityCheckResult[] })[]> {
  const rows = await sql<StoredRun[]>`
    select verdict, window_from_date::text, window_to_date::text, through_date::text, watermark_at::text,
           check_results::text
    from parity_check_execution where procedure_execution_id = ${procedureExecutionId}`;
  return rows.map((r) => ({ ...r, checks: JSON.parse(r.check_results) as ParityCheckResult[] }));
}

/** Delivers one message for the execution to the consumer, as the queue would (again, if asked). */
async function deliver(procedureExecutionId: string, attempts = 1): Promise<void> {
  const batch = createMessageBatch<IngestMessage>('ingest-jobs', [
    { id: `message-${crypto.randomUUID()}`, timestamp: new Date(), attempts, body: { procedureExecutionId } },
  ]);
  const ctx = createExecutionContext();
  await worker.queue(batch, bindings, ctx);
  expect((await getQueueResult(batch, ctx)).explicitAcks).toHaveLength(1);
}

beforeAll(async () => {
  sql = openTestSql('app', { max: 3 });
  legacy = openTestSql('legacy', { max: 3 });
  await loadStoreIntoBoth(legacy, sql, store);
});

afterAll(async () => {
  await sql.end({ timeout: 5 });
  await legacy.end({ timeout: 5 });
});

describe('the parity_check procedure', () => {
  it('the daily Cron Trigger starts a run that the queue consumer completes: every check passes on one store', async () => {
    await runCron('30 6 * * *');
    const [execution] = await sql<{ id: string; trigger_source: string }[]>`
      select procedure_execution_id as id, trigger_source from procedure_execution where procedure_kind = 'parity_check'`;
    expect(execution?.trigger_source).toBe('cron:30 6 * * *');
    const done = await waitForExecution(sql, execution?.id as string);
    expect(done).toMatchObject({ status: 'succeeded', error_text: null, rows_processed_count: 6 });

    const [run] = await storedRuns(done.procedure_execution_id);
    expect(run?.verdict).toBe('pass');
    expect(run?.checks.map((c) => [c.name, c.verdict])).toEqual([
      ['dataset_row_count', 'pass'],
      ['daily_net_sales', 'pass'],
      ['top_products', 'pass'],
      ['classification_distribution', 'pass'],
      ['denotation_coverage', 'pass'],
      ['tag_count', 'pass'],
    ]);
    const [legacyRows] = await legacy<{ n: number }[]>`
      select count(*)::int as n from mart_performance_metrics where metric_date <= ${run?.through_date ?? ''}::text::date`;
    expect(run?.checks[0]).toMatchObject({ legacy_value: legacyRows?.n, new_value: legacyRows?.n });
    expect(run?.watermark_at).not.toBeNull();
    expect(run?.window_to_date).toBe(run?.through_date);
  });

  it('stores a failing check with its details, and the execution still succeeds; a redelivered message changes nothing', async () => {
    await sql`delete from nominal_classification where classification_code = 'A'`;
    const execution = await recordExecution(sql, { kind: 'parity_check', triggerSource: 'test', parameters: {} });
    await deliver(execution.procedure_execution_id);
    const [row] = await sql<{ status: string; error_text: string | null }[]>`
      select status, error_text from procedure_execution where procedure_execution_id = ${execution.procedure_execution_id}`;
    expect(row).toEqual({ status: 'succeeded', error_text: null });
    const runs = await storedRuns(execution.procedure_execution_id);
    expect(runs).toHaveLength(1);
    expect(runs[0]?.verdict).toBe('fail');
    const failing = runs[0]?.checks.filter((c) => c.verdict !== 'pass');
    expect(failing?.map((c) => c.name)).toEqual(['classification_distribution']);
    expect(failing?.[0]?.details.summary).toMatch(/A missing on new/);

    await deliver(execution.procedure_execution_id, 2);
    expect(await storedRuns(execution.procedure_execution_id)).toHaveLength(1);
  });

  it('a step run again for the same execution (a killed consumer) replaces its stored result instead of adding one', async () => {
    const execution = await recordExecution(sql, { kind: 'parity_check', triggerSource: 'test', parameters: {} });
    const database = openDatabase(bindings.HYPERDRIVE);
    const ctx = createExecutionContext();
    try {
      for (let attempt = 0; attempt < 2; attempt++) {
        await parityCheckStep({ database, env: bindings, ctx, execution, log: log.with({ test: true }) });
      }
    } finally {
      closeDatabase(database, ctx);
    }
    await waitOnExecutionContext(ctx);
    expect(await storedRuns(execution.procedure_execution_id)).toHaveLength(1);
  });

  it('refuses parameters it does not know, recording why', async () => {
    const execution = await recordExecution(sql, {
      kind: 'parity_check',
      triggerSource: 'test',
      parameters: { tolerance: 5 },
    });
    await deliver(execution.procedure_execution_id);
    const [row] = await sql<{ status: string; error_text: string }[]>`
      select status, error_text from procedure_execution where procedure_execution_id = ${execution.procedure_execution_id}`;
    expect(row?.status).toBe('failed');
    expect(row?.error_text).toMatch(/tolerance/);
  });
});
