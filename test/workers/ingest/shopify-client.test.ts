/**
 * The Shopify client and the store generator inside workerd: the Worker's bindings reach the
 * simulator the global setup started, and the generator gives the same store in both runtimes.
 */
import { env } from 'cloudflare:workers';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { generateStore } from '#scripts/store-generator/generate.ts';
import type { Env } from '#shared/env.ts';
import { BulkOperationInProgressError, createShopifyClient, PRODUCTS_BULK_QUERY } from '#shared/shopify/client.ts';
import { shopifyConfig, shopifyWebhookSecrets } from '#shared/shopify/config.ts';

const bindings = env as unknown as Env;
const simulatorUrl = inject('shopifySimulatorUrl');
const options = { seed: 61, products: 8, orders: 30, startDate: '2026-10-01', days: 5, shuffleChildren: true };

async function control(path: string, body: unknown): Promise<void> {
  const response = await fetch(`${simulatorUrl}/__simulator/${path}`, { method: 'POST', body: JSON.stringify(body) });
  if (!response.ok) throw new Error(`simulator ${path}: ${response.status} ${await response.text()}`);
}

describe('the Shopify client inside workerd', () => {
  beforeAll(() => control('store', { generate: options }));
  afterAll(() => control('reset', {}));

  it('is configured from the Worker bindings', () => {
    expect(shopifyConfig(bindings)).toEqual({
      shopDomain: bindings.SHOPIFY_SHOP_DOMAIN,
      accessToken: bindings.SHOPIFY_ACCESS_TOKEN,
      adminApiUrl: `${simulatorUrl}/admin/api/2026-07/graphql.json`,
    });
    expect(shopifyWebhookSecrets(bindings)).toHaveLength(2);
  });

  it('runs a bulk query and downloads what the generator, run here, produces', async () => {
    const client = createShopifyClient(shopifyConfig(bindings));
    expect((await client.fetchShop()).myshopifyDomain).toBe('generated-store-61.myshopify.com');
    let operation = await client.runBulkQuery(PRODUCTS_BULK_QUERY);
    for (let attempt = 0; attempt < 200 && operation.status !== 'COMPLETED'; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      operation = (await client.getBulkOperation(operation.id)) ?? operation;
    }
    expect(operation.status).toBe('COMPLETED');
    const text = await (await fetch(operation.url as string)).text();
    expect(text).toBe(`${generateStore(options).fixture.products.join('\n')}\n`);
  });

  it('adopts a running operation after OPERATION_IN_PROGRESS', async () => {
    await control('faults', { operationInProgress: 1 });
    const client = createShopifyClient(shopifyConfig(bindings));
    const error = await client.runBulkQuery(PRODUCTS_BULK_QUERY).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BulkOperationInProgressError);
    expect((error as BulkOperationInProgressError).running[0]?.query).toBe(PRODUCTS_BULK_QUERY);
  });

  it('names every missing Shopify setting in one configuration error', () => {
    expect(() => shopifyConfig({ SHOPIFY_SHOP_DOMAIN: 'REPLACE_WITH_STAGING_SHOP_DOMAIN' })).toThrow(
      /SHOPIFY_SHOP_DOMAIN: expected \*\.myshopify\.com[\s\S]*missing secret SHOPIFY_ACCESS_TOKEN/,
    );
    expect(() => shopifyWebhookSecrets({})).toThrow(/missing secret SHOPIFY_WEBHOOK_SECRET/);
  });
});
