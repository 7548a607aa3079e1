import { createExecutionContext, createMessageBatch, getQueueResult, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import type { Env } from '#shared/env.ts';
import { log } from '#shared/logging.ts';
import { PROCEDURES } from '#shared/procedures/registry.ts';
import { enqueueExecution } from '#shared/procedures/runner.ts';
import worker from '#workers/ingest/src/index.ts';
import { openTestSql } from '../support/test-sql.ts';

const bindings = env as unknown as Env;
const sql = openTestSql('app', { max: 1 });
afterAll(() => sql.end({ timeout: 5 }));
afterEach(() => vi.restoreAllMocks());

/** Every JSON line written to the console while `work` runs. */
async function captureLogs(work: () => Promise<unknown>): Promise<Record<string, unknown>[]> {
  const lines: Record<string, unknown>[] = [];
  const collect = (line: unknown) => {
    if (typeof line === 'string' && line.startsWith('{')) lines.push(JSON.parse(line));
  };
  const spies = (['log', 'warn', 'error'] as const).map((method) =>
    vi.spyOn(console, method).mockImplementation(collect),
  );
  await work();
  // only the console: a step a test put in PROCEDURES stays until afterEach
  for (const spy of spies) spy.mockRestore();
  return lines;
}

describe('structured logs', () => {
  it('write one request line per request, and every line inside a request carries its request id', async () => {
    await sql`delete from procedure_execution`;
    await sql`insert into procedure_execution (procedure_kind, status, finished_at, error_text)
              values ('orders', 'failed', now(), 'Error: boom')`;
    let response: Response | undefined;
    const lines = await captureLogs(async () => {
      const ctx = createExecutionContext();
      response = await worker.fetch(
        new Request('https://ingest.test/health?token=secret', { headers: { 'cf-ray': 'ray-42' } }),
        bindings,
        ctx,
      );
      await waitOnExecutionContext(ctx);
    });
    expect(response?.headers.get('x-request-id')).toBe('ray-42');
    const alert = lines.find((line) => line.message === 'health alert');
    expect(alert).toMatchObject({ level: 'warn', request_id: 'ray-42', worker: 'ingest' });
    const request = lines.find((line) => line.message === 'request');
    expect(request).toMatchObject({ level: 'info', request_id: 'ray-42', method: 'GET', path: '/health', status: 200 });
    expect(request?.duration_ms).toEqual(expect.any(Number));
    expect(JSON.stringify(lines)).not.toContain('secret');
  });

  it('write the enqueue and every line of an execution step with the ProcedureExecution id', async () => {
    vi.spyOn(PROCEDURES, 'replay').mockImplementation(async () => {
      log.info('replaying one archive object'); // no ids passed: they come from the context
      return { outcome: 'done', rowsProcessed: 3 };
    });
    const sent: unknown[] = [];
    const queue = { send: async (body: unknown) => void sent.push(body) } as unknown as Env['INGEST_QUEUE'];
    let id = '';
    const enqueueLines = await captureLogs(async () => {
      ({ procedure_execution_id: id } = await enqueueExecution(sql, queue, { kind: 'replay', triggerSource: 'test' }));
    });
    expect(enqueueLines).toContainEqual(
      expect.objectContaining({ message: 'execution enqueued', procedure_execution_id: id, kind: 'replay' }),
    );

    const batch = createMessageBatch('ingest-jobs', [
      { id: 'message-1', timestamp: new Date(), attempts: 2, body: { procedureExecutionId: id } },
    ]);
    const lines = await captureLogs(async () => {
      const ctx = createExecutionContext();
      await worker.queue(batch, bindings, ctx);
      expect((await getQueueResult(batch, ctx)).explicitAcks).toEqual(['message-1']);
    });
    const context = { procedure_execution_id: id, queue_message_id: 'message-1', delivery_attempt: 2 };
    expect(lines.find((line) => line.message === 'replaying one archive object')).toMatchObject(context);
    expect(lines.find((line) => line.message === 'execution succeeded')).toMatchObject(context);
    const [row] =
      await sql`select status, rows_processed_count from procedure_execution where procedure_execution_id = ${id}`;
    expect(row).toEqual({ status: 'succeeded', rows_processed_count: 3 });
  });
});
