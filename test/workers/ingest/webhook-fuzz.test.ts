/**
 * Random, correctly signed webhooks for every topic the ingest Worker acts on (and one it only
 * records): never a 5xx; a 4xx is the error envelope and records nothing; an accepted webhook is
 * recorded exactly once, and its redelivery is a 200 duplicate that records nothing more. 200 runs
 * a topic in CI, `npm run fuzz` 10 000 (test/workers/support/fuzz.ts).
 */
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { fc, it as propertyIt } from '@fast-check/vitest';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import type { Sql } from '#shared/db/types.ts';
import type { Env } from '#shared/env.ts';
import { recordExecution } from '#shared/procedures/execution.ts';
import worker from '#workers/ingest/src/index.ts';
import { recordFuzzRun } from '../../support/reliability.ts';
import { anyJson, fuzzParameters, fuzzTimeoutMs, nastyText } from '../support/fuzz.ts';
import { openTestSql } from '../support/test-sql.ts';
import { signWebhook } from './support/webhook-signature.ts';

const bindings = env as unknown as Env;
let sql: Sql;
let n = 0;

/** What workers/shared/ingest/webhooks.ts acts on, and a topic it only records. */
const TOPICS = ['products/update', 'products/delete', 'orders/updated', 'bulk_operations/finish', 'shop/update'];

beforeAll(async () => {
  sql = openTestSql();
  await sql`truncate webhook_receipt, material_artifact, information_bearing_entity, procedure_execution cascade`;
  // an active sync (never delivered): products/update and orders/updated find it and start none
  await recordExecution(sql, { kind: 'full', triggerSource: 'test', concurrencyKey: 'full' });
});
afterAll(() => sql.end({ timeout: 5 }));

async function deliver(topic: string, webhookId: string, body: Uint8Array) {
  const ctx = createExecutionContext();
  const response = await worker.fetch(
    new Request('https://ingest.test/webhooks/shopify', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-shopify-topic': topic,
        'x-shopify-webhook-id': webhookId,
        'x-shopify-shop-domain': 'generated-store-1.myshopify.com',
        'x-shopify-hmac-sha256': await signWebhook(body, bindings.SHOPIFY_WEBHOOK_SECRET as string),
      },
      body,
    }),
    bindings,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: response.status, body: json as Record<string, unknown> };
}

const encoder = new TextEncoder();

/** Bodies: any JSON, an object with an id of any shape, or bytes that may not be JSON or UTF-8. */
const bodyArbitrary = fc.oneof(
  anyJson.map((value) => encoder.encode(JSON.stringify(value) ?? 'null')),
  fc
    .record({
      id: fc.oneof(fc.integer(), fc.bigInt({ min: 0n, max: 2n ** 70n }).map(String), nastyText, anyJson),
      admin_graphql_api_id: fc.oneof(nastyText, fc.constant('gid://shopify/BulkOperation/1')),
      title: nastyText,
    })
    .map((value) => encoder.encode(JSON.stringify(value))),
  fc.uint8Array({ maxLength: 64 }),
  fc.string({ unit: 'binary', maxLength: 64 }).map((text) => encoder.encode(text)),
);

async function receipts(webhookId: string): Promise<number> {
  const [row] = await sql<
    { n: number }[]
  >`select count(*)::int as n from webhook_receipt where webhook_id = ${webhookId}`;
  return row?.n ?? -1;
}

describe('random signed webhooks for every topic', { tags: ['fuzz'] }, () => {
  for (const topic of TOPICS) {
    const property = `POST /webhooks/shopify ${topic}`;
    propertyIt.prop([bodyArbitrary], fuzzParameters(property))(
      `${topic}: never a 5xx; a 4xx records nothing; accepted once, then a duplicate`,
      async (body) => {
        recordFuzzRun(property);
        const webhookId = `fuzz-${topic}-${n++}-${crypto.randomUUID()}`;
        const label = `${topic} ${JSON.stringify(new TextDecoder().decode(body))}`;
        const first = await deliver(topic, webhookId, body);
        expect(first.status, `${label} → ${JSON.stringify(first.body)}`).toBeLessThan(500);
        if (first.status >= 400) {
          expect(first.body, label).toEqual({
            error: expect.objectContaining({ code: expect.any(String), message: expect.any(String) }),
          });
          expect(await receipts(webhookId), `${label}: refused but recorded`).toBe(0);
          return;
        }
        expect(first, label).toMatchObject({ status: 200, body: { status: 'accepted', topic } });
        const again = await deliver(topic, webhookId, body);
        expect(again, label).toMatchObject({ status: 200, body: { status: 'duplicate' } });
        expect(await receipts(webhookId), label).toBe(1);
      },
      fuzzTimeoutMs(),
    );
  }
});
