/**
 * Retention (issue 16), run by the ingest Worker's daily cron against real Postgres: old webhook
 * payloads are redacted (the receipt and its dedupe key stay), old quarantined lines and finished
 * executions are deleted, except what an audit event or the still-open cutover window refers to.
 */
import { env } from 'cloudflare:workers';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Sql } from '#shared/db/types.ts';
import type { Env } from '#shared/env.ts';
import { RETENTION_CRON } from '#workers/ingest/src/schedules.ts';
import { openTestSql } from '../support/test-sql.ts';
import { runCron } from './support/worker-events.ts';

const bindings = env as unknown as Env;
let sql: Sql;

beforeAll(() => {
  sql = openTestSql();
});
afterAll(() => sql.end({ timeout: 5 }));
beforeEach(async () => {
  await sql`truncate webhook_receipt, quarantined_line, parity_check_execution, procedure_execution cascade`;
});

async function runRetention(vars: Record<string, string> = {}) {
  await runCron(RETENTION_CRON, { ...bindings, ...vars } as Env);
}

async function execution(daysAgo: number, status = 'succeeded', kind = 'orders'): Promise<string> {
  const [row] = await sql<{ id: string }[]>`
    insert into procedure_execution (procedure_kind, status, requested_at, started_at, finished_at)
    values (${kind}, ${status}, now() - make_interval(days => ${daysAgo}), now() - make_interval(days => ${daysAgo}),
            case when ${status} in ('succeeded', 'failed') then now() - make_interval(days => ${daysAgo}) end)
    returning procedure_execution_id as id`;
  return row?.id as string;
}

async function quarantined(daysAgo: number, executionId: string | null = null): Promise<string> {
  const [row] = await sql<{ id: string }[]>`
    insert into quarantined_line (load_key, procedure_execution_id, resource_name, line_number, reason_text, created_at)
    values (gen_random_uuid(), ${executionId}, 'orders', 1, 'not JSON', now() - make_interval(days => ${daysAgo}))
    returning quarantined_line_id as id`;
  return row?.id as string;
}

async function auditOf(executionId: string) {
  await sql`
    insert into staff_action (actor_description, action_kind, target_kind, target_id, performed_at)
    values ('ops@example.com', 'replay.trigger', 'procedure_execution', ${executionId}, now() - interval '120 days')`;
}

const exists = async (table: string, column: string, id: string) =>
  (await sql`select 1 from ${sql(table)} where ${sql(column)} = ${id}`).length === 1;

describe('the retention cron', () => {
  it('redacts webhook payloads after 30 days, keeping the receipt, its dedupe key and the object id', async () => {
    const payload = { id: 7, email: 'customer@example.com', shipping_address: { address1: '1 Main St' } };
    await sql`
      insert into webhook_receipt (webhook_id, topic_name, shop_domain, payload, received_at)
      values ('old-1', 'orders/updated', 'shop.myshopify.com', ${JSON.stringify(payload)}::text::jsonb, now() - interval '31 days'),
             ('new-1', 'orders/updated', 'shop.myshopify.com', ${JSON.stringify(payload)}::text::jsonb, now() - interval '29 days')`;
    await runRetention();
    const rows = await sql<
      { webhook_id: string; topic_name: string; shop_domain: string; payload: Record<string, unknown> }[]
    >`
      select webhook_id, topic_name, shop_domain, payload from webhook_receipt order by webhook_id`;
    expect(rows).toEqual([
      { webhook_id: 'new-1', topic_name: 'orders/updated', shop_domain: 'shop.myshopify.com', payload },
      {
        webhook_id: 'old-1',
        topic_name: 'orders/updated',
        shop_domain: 'shop.myshopify.com',
        payload: { id: 7, redacted_at: expect.any(String) },
      },
    ]);
    expect(JSON.stringify(rows[1])).not.toContain('customer@example.com');
    // Configurable per environment: with 7 days, the newer one goes too.
    await runRetention({ RETENTION_WEBHOOK_PAYLOAD_DAYS: '7' });
    const [newer] = await sql<{ payload: object }[]>`select payload from webhook_receipt where webhook_id = 'new-1'`;
    expect(newer?.payload).toEqual({ id: 7, redacted_at: expect.any(String) });
  });

  it('deletes old quarantined lines and finished executions, but not what an audit event names, a parity run, or active work', async () => {
    const oldFinished = await execution(120);
    const oldFailed = await execution(120, 'failed');
    const audited = await execution(120, 'succeeded', 'replay');
    await auditOf(audited);
    const parity = await execution(120, 'succeeded', 'parity_check');
    await sql`insert into parity_check_execution (procedure_execution_id, verdict, window_from_date, window_to_date, started_at)
              values (${parity}, 'pass', '2026-01-01', '2026-01-30', now() - interval '120 days')`;
    const stuck = await execution(120, 'running');
    const recent = await execution(10);
    const oldLine = await quarantined(120);
    const auditedLine = await quarantined(120, audited);
    const recentLine = await quarantined(10);

    await runRetention();
    expect(await exists('procedure_execution', 'procedure_execution_id', oldFinished)).toBe(false);
    expect(await exists('procedure_execution', 'procedure_execution_id', oldFailed)).toBe(false);
    for (const kept of [audited, parity, stuck, recent]) {
      expect(await exists('procedure_execution', 'procedure_execution_id', kept), kept).toBe(true);
    }
    expect(await exists('quarantined_line', 'quarantined_line_id', oldLine)).toBe(false);
    expect(await exists('quarantined_line', 'quarantined_line_id', auditedLine)).toBe(true);
    expect(await exists('quarantined_line', 'quarantined_line_id', recentLine)).toBe(true);
    // The audit trail itself is never touched.
    expect((await sql`select 1 from staff_action where target_id = ${audited}`).length).toBe(1);
  });

  it('keeps everything from the still-open cutover window, and takes its limits from the variables', async () => {
    const beforeWindow = await execution(200);
    const inWindow = await execution(120);
    const lineInWindow = await quarantined(120);
    // A recent parity run compares from 150 days back: the cutover window is open since then.
    await sql`insert into parity_check_execution (verdict, window_from_date, window_to_date, started_at)
              values ('pass', (now() - interval '150 days')::date, (now() - interval '1 day')::date, now() - interval '1 day')`;
    await runRetention({ RETENTION_EXECUTION_DAYS: '250' });
    expect(await exists('procedure_execution', 'procedure_execution_id', beforeWindow)).toBe(true);
    await runRetention();
    expect(await exists('procedure_execution', 'procedure_execution_id', beforeWindow)).toBe(false);
    expect(await exists('procedure_execution', 'procedure_execution_id', inWindow)).toBe(true);
    expect(await exists('quarantined_line', 'quarantined_line_id', lineInWindow)).toBe(true);
  });

  it('refuses an invalid limit, pruning nothing', async () => {
    const old = await execution(120);
    await expect(runRetention({ RETENTION_EXECUTION_DAYS: 'forever' })).rejects.toThrow(/RETENTION_EXECUTION_DAYS/);
    expect(await exists('procedure_execution', 'procedure_execution_id', old)).toBe(true);
  });
});
