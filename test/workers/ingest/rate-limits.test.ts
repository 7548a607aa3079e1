/**
 * Shopify webhooks are limited per shop, after their signature is verified, under miniflare's own
 * simulation of the Workers Rate Limiting binding (the tight limiter of vitest.config.ts, 3 per 60 s,
 * stands in for WEBHOOK_RATE_LIMITER). A clock-aligned window may admit up to twice the limit.
 */
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sql } from '#shared/db/types.ts';
import type { Env } from '#shared/env.ts';
import worker from '#workers/ingest/src/index.ts';
import { expectRefusedWithoutChange } from '../../support/reliability.ts';
import { openTestSql } from '../support/test-sql.ts';
import { signWebhook } from './support/webhook-signature.ts';

const LIMIT = 3;
const bindings = env as unknown as Env;
const tight = { ...bindings, WEBHOOK_RATE_LIMITER: (env as unknown as Record<string, RateLimit>).TIGHT_RATE_LIMITER };

let sql: Sql;
beforeAll(() => {
  sql = openTestSql();
});
afterAll(() => sql.end({ timeout: 5 }));

async function deliver(shop: string, options: { signature?: string } = {}) {
  const body = JSON.stringify({ id: 1 });
  const headers = {
    'content-type': 'application/json',
    'x-shopify-topic': 'shop/update',
    'x-shopify-webhook-id': crypto.randomUUID(),
    'x-shopify-shop-domain': shop,
    'x-shopify-hmac-sha256': options.signature ?? (await signWebhook(body, bindings.SHOPIFY_WEBHOOK_SECRET as string)),
  };
  const ctx = createExecutionContext();
  const response = await worker.fetch(
    new Request('https://ingest.test/webhooks/shopify', { method: 'POST', headers, body }),
    tight,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return { status: response.status, retryAfter: response.headers.get('retry-after'), body: await response.json() };
}

describe('POST /webhooks/shopify rate limit', () => {
  it('answers 429 with the envelope and Retry-After past the limit of one shop, storing nothing; other shops go on', async () => {
    // Forged requests (bad signature) are refused before the limit: they cannot spend a shop's allowance.
    for (let n = 0; n < 2 * LIMIT + 1; n++) {
      expect((await deliver('busy-shop.myshopify.com', { signature: 'forged' })).status).toBe(401);
    }
    let admitted = 0;
    for (; admitted <= 2 * LIMIT; admitted++) {
      const response = await deliver('busy-shop.myshopify.com');
      if (response.status === 429) break;
      expect(response.status).toBe(200);
    }
    expect(admitted).toBeGreaterThanOrEqual(LIMIT);
    expect(admitted).toBeLessThanOrEqual(2 * LIMIT);
    await expectRefusedWithoutChange(
      sql,
      async () => {
        const refused = await deliver('busy-shop.myshopify.com');
        expect(refused).toEqual({
          status: 429,
          retryAfter: '60',
          body: {
            error: {
              code: 'rate_limited',
              message: 'too many webhooks from busy-shop.myshopify.com; try again in 60 s',
            },
          },
        });
        return refused;
      },
      'a signed webhook from busy-shop.myshopify.com past its limit',
    );
    expect((await deliver('quiet-shop.myshopify.com')).status).toBe(200);
  });
});
