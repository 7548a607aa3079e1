/**
 * Security review checks of the ingest Worker (RELIABILITY.md "Security review"): its answers carry
 * the security headers, and no log line or recorded cause holds a secret — the Shopify access
 * token (a sync refused by Shopify), the webhook secret or a signature (webhooks accepted and
 * refused), an Access token (a replay request).
 */
import { env } from 'cloudflare:workers';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Sql } from '#shared/db/types.ts';
import type { Env } from '#shared/env.ts';
import { type ProcedureExecutionRow, recordExecution } from '#shared/procedures/execution.ts';
import { createTestAccess } from '../dashboard-api/support/access.ts';
import { openTestSql } from '../support/test-sql.ts';
import { signWebhook } from './support/webhook-signature.ts';
import { deliverOnce, fetchOnce } from './support/worker-events.ts';

const bindings = env as unknown as Env;
let sql: Sql;

beforeAll(async () => {
  sql = openTestSql();
  await sql`insert into person (email, role_name) values ('ops@example.com', 'admin') on conflict do nothing`;
});
afterAll(() => sql.end({ timeout: 5 }));
afterEach(() => {
  vi.restoreAllMocks();
});

/** Every console line written while `work` runs. */
async function capturedLines(work: () => Promise<void>): Promise<string[]> {
  const lines: string[] = [];
  for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      lines.push(args.map(String).join(' '));
    });
  }
  try {
    await work();
  } finally {
    vi.restoreAllMocks();
  }
  return lines;
}

describe('the ingest Worker', () => {
  it('answers with the security headers, refusals included', async () => {
    const health = await fetchOnce(new Request('https://ingest.test/health'));
    const refused = await fetchOnce(
      new Request('https://ingest.test/webhooks/shopify', {
        method: 'POST',
        body: '{}',
        headers: { 'x-shopify-topic': 'x' },
      }),
    );
    expect(refused.status).toBe(401);
    for (const response of [health, refused]) {
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('strict-transport-security')).toContain('max-age=');
      await response.body?.cancel();
    }
  });

  it('logs and records no secret: Shopify token, webhook secret or signature, Access token', async () => {
    const shopifyToken = 'shpat_must_never_be_logged_5e1b';
    const secret = bindings.SHOPIFY_WEBHOOK_SECRET as string;
    const body = JSON.stringify({ id: 42 });
    const signature = await signWebhook(body, secret);
    const access = await createTestAccess();
    const accessToken = (await access.headers({ email: 'ops@example.com' }))['Cf-Access-Jwt-Assertion'] as string;
    let failed: ProcedureExecutionRow | undefined;

    const lines = await capturedLines(async () => {
      // webhooks: accepted, refused (signed with another secret), refused (tampered body)
      for (const [payload, sig] of [
        [body, signature],
        [body, await signWebhook(body, 'another-secret')],
        [JSON.stringify({ id: 43 }), signature],
      ] as const) {
        const response = await fetchOnce(
          new Request('https://ingest.test/webhooks/shopify', {
            method: 'POST',
            body: payload,
            headers: {
              'content-type': 'application/json',
              'x-shopify-topic': 'shop/update',
              'x-shopify-webhook-id': crypto.randomUUID(),
              'x-shopify-hmac-sha256': sig,
            },
          }),
        );
        await response.body?.cancel();
      }
      // a sync step Shopify refuses (wrong access token): failed with its cause
      const execution = await recordExecution(sql, {
        kind: 'products',
        triggerSource: 'test',
        parameters: { mode: 'full', poll_seconds: 1 },
      });
      await deliverOnce({ procedureExecutionId: execution.procedure_execution_id, step: 0 }, 1, {
        ...bindings,
        SHOPIFY_ACCESS_TOKEN: shopifyToken,
      });
      [failed] = await sql<ProcedureExecutionRow[]>`
        select * from procedure_execution where procedure_execution_id = ${execution.procedure_execution_id}`;
      // an operator's replay request with an Access token
      const replay = await fetchOnce(
        new Request('https://ingest.test/replay', {
          method: 'POST',
          body: JSON.stringify({ keys: ['shopify/products/none.jsonl.gz'] }),
          headers: { 'content-type': 'application/json', 'Cf-Access-Jwt-Assertion': accessToken },
        }),
        access.env,
      );
      await replay.body?.cancel();
    });

    expect(failed?.status).toBe('failed');
    expect(failed?.error_text).toMatch(/Shopify refused the access token/);
    expect(failed?.error_text).not.toContain(shopifyToken);
    expect(lines.some((line) => line.includes('webhook refused'))).toBe(true);
    expect(lines.some((line) => line.includes('execution failed'))).toBe(true);
    for (const line of lines) {
      for (const secretText of [shopifyToken, secret, signature, accessToken.split('.')[2] as string]) {
        expect(line).not.toContain(secretText);
      }
    }
  });
});
