import { createExecutionContext, createScheduledController, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import postgres from 'postgres';
import { describe, expect, it } from 'vitest';
import worker from '../../../workers/ingest/src/index.ts';
import type { Env } from '../../../workers/shared/env.ts';

const bindings = env as unknown as Env;

describe('ingest Worker', () => {
  it('GET /health reports the database through Hyperdrive', async () => {
    const ctx = createExecutionContext();
    const response = await worker.fetch(new Request('https://ingest.test/health'), bindings, ctx);
    await waitOnExecutionContext(ctx);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { worker: string; database: { ok: boolean; migration_version: string } };
    expect(body.worker).toBe('ingest');
    expect(body.database.ok).toBe(true);
  });

  it('a cron trigger records a queued ProcedureExecution, and a second one while it is active is skipped', async () => {
    for (let i = 0; i < 2; i++) {
      const ctx = createExecutionContext();
      await worker.scheduled(
        createScheduledController({ cron: '*/15 * * * *', scheduledTime: Date.now() }),
        bindings,
        ctx,
      );
      await waitOnExecutionContext(ctx);
    }
    const sql = postgres(bindings.HYPERDRIVE.connectionString, { max: 1, fetch_types: false });
    const rows = await sql`select procedure_kind, trigger_source, parameters from procedure_execution`;
    await sql.end();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      procedure_kind: 'full',
      trigger_source: 'cron:*/15 * * * *',
      parameters: { mode: 'incremental' },
    });
  });
});
