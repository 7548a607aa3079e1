import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { generateStore } from '#scripts/store-generator/generate.ts';
import type { Sql } from '#shared/db/types.ts';
import type { Env } from '#shared/env.ts';
import { loadJsonlLines } from '#shared/ingest/load.ts';
import { WEBHOOK_MAX_BYTES } from '#shared/ingest/webhooks.ts';
import { recordExecution } from '#shared/procedures/execution.ts';
import worker from '#workers/ingest/src/index.ts';
import { expectAbsorbedWithoutChange, expectRefusedWithoutChange } from '../../support/reliability.ts';
import { openTestSql } from '../support/test-sql.ts';
import { waitForExecution } from './support/executions.ts';
import { signWebhook } from './support/webhook-signature.ts';

// The tests set the optional rotation secret, which the generated Env leaves out (not a required secret).
const bindings = env as unknown as Env & { SHOPIFY_WEBHOOK_SECRET_PREVIOUS: string };
let sql: Sql;

beforeAll(() => {
  sql = openTestSql();
});
afterAll(() => sql.end({ timeout: 5 }));
beforeEach(async () => {
  await sql`truncate webhook_receipt, material_artifact, information_bearing_entity, procedure_execution cascade`;
});

async function deliver(
  topic: string,
  body: string,
  options: { secret?: string; webhookId?: string; signature?: string | null; headers?: Record<string, string> } = {},
) {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'x-shopify-topic': topic,
    'x-shopify-webhook-id': options.webhookId ?? crypto.randomUUID(),
    'x-shopify-shop-domain': 'generated-store-1.myshopify.com',
    'x-shopify-triggered-at': '2026-11-20T10:00:00Z',
    ...options.headers,
  };
  const signature =
    options.signature === undefined
      ? await signWebhook(body, options.secret ?? (bindings.SHOPIFY_WEBHOOK_SECRET as string))
      : options.signature;
  if (signature !== null) headers['x-shopify-hmac-sha256'] = signature;
  const ctx = createExecutionContext();
  const response = await worker.fetch(
    new Request('https://ingest.test/webhooks/shopify', { method: 'POST', headers, body }),
    bindings,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function receipts() {
  const [row] = await sql`select count(*)::int as n from webhook_receipt`;
  return row?.n as number;
}

describe('POST /webhooks/shopify', () => {
  it('accepts a correctly signed webhook once; a redelivery with the same webhook id does nothing', {
    tags: ['bad-input'],
  }, async () => {
    const body = JSON.stringify({ id: 1, title: 'x' });
    const first = await deliver('shop/update', body, { webhookId: 'w-1' });
    expect(first).toEqual({ status: 200, body: { status: 'accepted', topic: 'shop/update', action: 'none' } });
    // A replay (same X-Shopify-Webhook-Id), even of a topic that would start a sync: 200 so Shopify
    // stops resending, and nothing recorded, enqueued or changed.
    for (const topic of ['shop/update', 'products/update']) {
      await expectAbsorbedWithoutChange(
        sql,
        async () => {
          const again = await deliver(topic, body, { webhookId: 'w-1' });
          expect(again).toMatchObject({ status: 200, body: { status: 'duplicate' } });
          return again;
        },
        `POST /webhooks/shopify ${topic} X-Shopify-Webhook-Id: w-1 (a replay) ${body}`,
        { input: 'a replayed webhook id' },
      );
    }
    expect(await receipts()).toBe(1);
  });

  it('answers 401 and stores nothing for a bad, missing, or foreign signature, or a body changed after signing', {
    tags: ['bad-input'],
  }, async () => {
    const body = JSON.stringify({ id: 1 });
    const expectUnauthenticated = (options: Parameters<typeof deliver>[2]) =>
      expectRefusedWithoutChange(
        sql,
        async () => {
          const response = await deliver('products/update', body, options);
          expect(response).toMatchObject({ status: 401, body: { error: { code: 'unauthenticated' } } });
          return response;
        },
        `POST /webhooks/shopify products/update ${body} signed ${JSON.stringify(options)}`,
        { input: 'a webhook with a bad, missing or foreign signature' },
      );
    await expectUnauthenticated({ signature: null });
    await expectUnauthenticated({ signature: '' });
    await expectUnauthenticated({ signature: 'not base64!' });
    await expectUnauthenticated({ secret: 'some-other-secret' });
    await expectUnauthenticated({
      signature: await signWebhook(JSON.stringify({ id: 2 }), bindings.SHOPIFY_WEBHOOK_SECRET as string),
    });
    expect(await receipts()).toBe(0);
    const [executions] = await sql`select count(*)::int as n from procedure_execution`;
    expect(executions?.n).toBe(0);
  });

  it('accepts the previous secret during a rotation', async () => {
    const body = JSON.stringify({ id: 3 });
    const rotated = await deliver('shop/update', body, { secret: bindings.SHOPIFY_WEBHOOK_SECRET_PREVIOUS });
    expect(rotated.status).toBe(200);
    expect(await receipts()).toBe(1);
  });

  it('refuses an oversize body with 413 before reading it, storing nothing', { tags: ['bad-input'] }, async () => {
    const body = JSON.stringify({ id: 4, padding: 'x'.repeat(WEBHOOK_MAX_BYTES) });
    await expectRefusedWithoutChange(
      sql,
      async () => {
        const response = await deliver('products/update', body);
        expect(response).toMatchObject({ status: 413, body: { error: { code: 'payload_too_large' } } });
        return response;
      },
      `POST /webhooks/shopify products/update with a ${body.length}-byte body`,
      { input: 'an oversize webhook body' },
    );
    expect(await receipts()).toBe(0);
  });

  it('products/delete archives the deletion in R2 and tombstones the product through a load', async () => {
    const store = generateStore({ seed: 31, products: 4, orders: 0 });
    await loadJsonlLines(sql, 'products', store.fixture.products);
    const id = store.legacy.products[1]?.id as number;
    const response = await deliver('products/delete', `{"id":${id}}`);
    expect(response.body).toMatchObject({ status: 'accepted', action: 'tombstone' });
    const load = await waitForExecution(sql, response.body.procedureExecutionId as string);
    expect(load.status).toBe('succeeded');
    const [row] = await sql`select deleted_at::text as at from material_artifact where material_artifact_id = ${id}`;
    expect(row?.at).toBe('2026-11-20 10:00:00+00');
    const [entity] = await sql`select resource_name, line_count::int from information_bearing_entity`;
    expect(entity).toEqual({ resource_name: 'deletions', line_count: 1 });
  });

  it('products/update and orders/updated enqueue an incremental sync unless one is already active', async () => {
    const active = await recordExecution(sql, {
      kind: 'full',
      triggerSource: 'test',
      parameters: { mode: 'incremental' },
      concurrencyKey: 'full',
    });
    const whileActive = await deliver('orders/updated', JSON.stringify({ id: 6 }));
    expect(whileActive.body).toMatchObject({ action: 'sync already active' });
    const [count] = await sql`select count(*)::int as n from procedure_execution`;
    expect(count?.n).toBe(1);

    await sql`update procedure_execution set status = 'failed', finished_at = now()
              where procedure_execution_id = ${active.procedure_execution_id}`;
    const enqueued = await deliver('products/update', JSON.stringify({ id: 5 }));
    expect(enqueued.body).toMatchObject({ action: 'incremental sync' });
    const [sync] = await sql`select procedure_kind, parameters, trigger_source from procedure_execution
                             where procedure_execution_id = ${enqueued.body.procedureExecutionId as string}`;
    expect(sync).toEqual({
      procedure_kind: 'full',
      parameters: { mode: 'incremental' },
      trigger_source: 'webhook:products/update',
    });
    const [receipt] =
      await sql`select procedure_execution_id from webhook_receipt where topic_name = 'products/update'`;
    expect(receipt?.procedure_execution_id).toBe(enqueued.body.procedureExecutionId);
    await waitForExecution(sql, enqueued.body.procedureExecutionId as string, { timeoutMs: 60_000 });
  });

  it('bulk_operations/finish wakes the execution waiting for that operation', async () => {
    const waiting = await recordExecution(sql, { kind: 'load', triggerSource: 'test', parameters: {} });
    await sql`update procedure_execution set status = 'waiting', step_count = 3,
              checkpoint_state = '{"operationId":"gid://shopify/BulkOperation/77"}'
              where procedure_execution_id = ${waiting.procedure_execution_id}`;
    const response = await deliver(
      'bulk_operations/finish',
      JSON.stringify({ admin_graphql_api_id: 'gid://shopify/BulkOperation/77', status: 'completed' }),
    );
    expect(response.body).toMatchObject({ action: 'sync woken', procedureExecutionId: waiting.procedure_execution_id });
    // the nudge ran the execution's step (a load without parameters fails, which shows it ran)
    const ran = await waitForExecution(sql, waiting.procedure_execution_id);
    expect(ran.attempt_count).toBe(1);
  });
});
