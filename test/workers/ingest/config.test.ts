/**
 * The ingest Worker's one configuration schema (workers/ingest/src/config.ts): each entry point
 * reads the sections it uses, so a problem refuses what needs it, names every bad key, and leaves
 * the rest of the Worker running.
 */
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import type { Env } from '#shared/env.ts';
import { ingestConfig } from '#workers/ingest/src/config.ts';
import worker from '#workers/ingest/src/index.ts';

const bindings = env as unknown as Env;

async function call(method: string, path: string, extra: Record<string, unknown>) {
  const ctx = createExecutionContext();
  const response = await worker.fetch(
    new Request(`https://ingest.test${path}`, { method }),
    { ...bindings, ...extra } as Env,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return { status: response.status, body: (await response.json()) as { error?: { code: string; message: string } } };
}

describe('the ingest Worker configuration', () => {
  it('refuses /replay while the Access AUD is a placeholder, and keeps /health answering', async () => {
    const placeholder = { ACCESS_AUD: 'REPLACE_WITH_STAGING_INGEST_ACCESS_AUD' };
    const replay = await call('POST', '/replay', placeholder);
    expect(replay.status).toBe(503);
    expect(replay.body.error?.message).toBe(
      'Access configuration is invalid:\n- variable ACCESS_AUD: is still a placeholder: set the application AUD tag',
    );
    expect((await call('GET', '/health', placeholder)).status).toBe(200);
  });

  it('names every problem of the Worker section in one 503, whichever entry point reads it', async () => {
    const broken = { HYPERDRIVE: undefined, RAW_ARCHIVE: undefined, ENVIRONMENT: 'prod' };
    const response = await call('GET', '/health', broken);
    expect(response.status).toBe(503);
    expect(response.body.error?.message).toBe(
      [
        'Worker configuration is invalid:',
        '- missing binding HYPERDRIVE: expected a Hyperdrive binding to the new database ([[hyperdrive]] binding = "HYPERDRIVE")',
        '- missing binding RAW_ARCHIVE: expected an R2 bucket binding ([[r2_buckets]] binding = "RAW_ARCHIVE")',
        '- variable ENVIRONMENT: must be one of development, test, staging, production',
      ].join('\n'),
    );
  });

  it('parses every section with the one schema, each with its own value or problems', () => {
    const parsed = ingestConfig.parse({
      ...bindings,
      HEALTH_BACKLOG_MAX_IDLE_SECONDS: '90',
      SHOPIFY_SHOP_DOMAIN: 'not-a-shop',
      SHOPIFY_ACCESS_TOKEN: ' ',
    });
    expect(parsed.worker).toEqual({ ok: true, value: { environment: 'test' } });
    expect(parsed.health).toEqual({
      ok: true,
      value: { failureRate: 0.2, backlogMaxIdleSeconds: 90, stallSeconds: 120 },
    });
    expect(parsed.liveness).toEqual({ ok: true, value: { stallSeconds: 120, maxResends: 3 } });
    expect(parsed.webhookSecrets.ok).toBe(true);
    expect(parsed.shopify).toEqual({
      ok: false,
      problems: [
        'variable SHOPIFY_SHOP_DOMAIN: expected *.myshopify.com, got not-a-shop',
        'missing secret SHOPIFY_ACCESS_TOKEN: the Admin API access token (wrangler secret put)',
      ],
    });
  });
});
