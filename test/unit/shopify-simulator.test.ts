import { createHmac } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type ShopifySimulator, startShopifySimulator } from '../../scripts/shopify-simulator/server.ts';
import { DEFAULT_SHOP } from '../../scripts/shopify-simulator/store-source.ts';
import { writeStoreFixture } from '../../scripts/store-generator/fixture-folder.ts';
import { generateStore } from '../../scripts/store-generator/generate.ts';
import {
  type BulkOperation,
  createShopifyClient,
  ORDERS_BULK_QUERY,
  PRODUCTS_BULK_QUERY,
  type ShopifyClient,
} from '../../workers/shared/shopify/client.ts';

const REAL_FIXTURES = new URL('../../../shared/fixtures/shopify-real/', import.meta.url).pathname;

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

async function startReceiver(): Promise<{ url: string; received: Received[]; server: Server }> {
  const received: Received[] = [];
  const server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    received.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
    response.writeHead(200).end();
  }).listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}/webhooks/shopify`, received, server };
}

const hmac = (body: string, secret: string) => createHmac('sha256', secret).update(body, 'utf8').digest('base64');

async function waitForOperation(client: ShopifyClient, id: string): Promise<BulkOperation> {
  for (let attempt = 0; attempt < 300; attempt++) {
    const operation = await client.getBulkOperation(id);
    if (operation && ['COMPLETED', 'FAILED', 'CANCELED'].includes(operation.status)) return operation;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`operation ${id} did not finish`);
}

const store = generateStore({ seed: 41, products: 12, orders: 40, startDate: '2026-09-01', days: 10 });

describe('signed webhooks', () => {
  let simulator: ShopifySimulator;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  const secret = 'whsec-test-secret';

  beforeAll(async () => {
    receiver = await startReceiver();
    simulator = await startShopifySimulator({ store, webhookUrl: receiver.url, webhookSecret: secret });
  });
  afterEach(() => {
    receiver.received.length = 0;
    simulator.reset();
  });
  afterAll(async () => {
    await simulator.close();
    receiver.server.close();
  });

  const trigger = async (request: Record<string, unknown>) => {
    const response = await fetch(`${simulator.url}/__simulator/webhooks/trigger`, {
      method: 'POST',
      body: JSON.stringify(request),
    });
    return { status: response.status, body: (await response.json()) as unknown };
  };

  it('products/update carries the REST product, signed with base64 HMAC-SHA256 of the raw body', async () => {
    const product = store.legacy.products[3];
    expect((await trigger({ topic: 'products/update', id: product?.id })).status).toBe(200);
    const [delivery] = receiver.received;
    expect(delivery?.headers).toMatchObject({
      'x-shopify-topic': 'products/update',
      'x-shopify-shop-domain': store.shop.myshopifyDomain,
      'x-shopify-api-version': '2026-07',
      'x-shopify-hmac-sha256': hmac(delivery?.body ?? '', secret),
    });
    expect(delivery?.headers['x-shopify-webhook-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(JSON.parse(delivery?.body ?? '{}')).toEqual({
      ...product,
      admin_graphql_api_id: `gid://shopify/Product/${product?.id}`,
    });
  });

  it('products/delete and orders/updated', async () => {
    const order = store.legacy.orders[5];
    await trigger({ topic: 'products/delete', id: 'gid://shopify/Product/7400000000123' });
    await trigger({ topic: 'orders/updated', id: order?.id });
    expect(receiver.received.map((r) => [r.headers['x-shopify-topic'], JSON.parse(r.body).id])).toEqual([
      ['products/delete', 7400000000123],
      ['orders/updated', order?.id],
    ]);
    for (const delivery of receiver.received)
      expect(delivery.headers['x-shopify-hmac-sha256']).toBe(hmac(delivery.body, secret));
  });

  it('redeliveries keep the webhook id; a webhook signed with another secret does not verify', async () => {
    await trigger({ topic: 'products/delete', id: 1, times: 3 });
    expect(new Set(receiver.received.map((r) => r.headers['x-shopify-webhook-id'])).size).toBe(1);
    expect(receiver.received).toHaveLength(3);
    receiver.received.length = 0;
    await trigger({ topic: 'products/delete', id: 1, signWith: 'an-old-secret' });
    const [forged] = receiver.received;
    expect(forged?.headers['x-shopify-hmac-sha256']).toBe(hmac(forged?.body ?? '', 'an-old-secret'));
    expect(forged?.headers['x-shopify-hmac-sha256']).not.toBe(hmac(forged?.body ?? '', secret));
  });

  it('bulk_operations/finish is sent when an operation completes', async () => {
    const client = createShopifyClient({
      shopDomain: simulator.shopDomain,
      accessToken: simulator.accessToken,
      adminApiUrl: simulator.adminApiUrl,
    });
    const operation = await client.runBulkQuery(PRODUCTS_BULK_QUERY);
    await waitForOperation(client, operation.id);
    for (let attempt = 0; attempt < 100 && receiver.received.length === 0; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const [delivery] = receiver.received;
    expect(delivery?.headers['x-shopify-topic']).toBe('bulk_operations/finish');
    expect(delivery?.headers['x-shopify-hmac-sha256']).toBe(hmac(delivery?.body ?? '', secret));
    expect(JSON.parse(delivery?.body ?? '{}')).toMatchObject({
      admin_graphql_api_id: operation.id,
      status: 'completed',
      error_code: null,
      type: 'query',
    });
  });

  it('refuses a trigger it cannot fill with a 400 naming the problem', async () => {
    expect(await trigger({ topic: 'orders/updated', id: 1 })).toEqual({
      status: 400,
      body: { error: 'no order 1 with a REST shape in the store' },
    });
  });
});

describe('stores, control API and the real Shopify sample', () => {
  let simulator: ShopifySimulator;
  let client: ShopifyClient;
  let dir: string;

  beforeAll(async () => {
    simulator = await startShopifySimulator();
    client = createShopifyClient({
      shopDomain: simulator.shopDomain,
      accessToken: simulator.accessToken,
      adminApiUrl: simulator.adminApiUrl,
    });
    dir = await mkdtemp(join(tmpdir(), 'simulator-fixture-'));
  });
  afterAll(async () => {
    await simulator.close();
    await rm(dir, { recursive: true, force: true });
  });

  const control = async (path: string, body?: unknown) => {
    const response = await fetch(`${simulator.url}/__simulator/${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return (await response.json()) as Record<string, unknown>;
  };

  const downloadAll = async (query: string) => {
    const operation = await waitForOperation(client, (await client.runBulkQuery(query)).id);
    return (await fetch(operation.url as string)).text();
  };

  it('serves shared/fixtures/shopify-real byte for byte, with a default shop (the folder has no shop.json)', async () => {
    expect(await control('store', { fixtureDir: REAL_FIXTURES })).toMatchObject({ shop: DEFAULT_SHOP });
    expect(await client.fetchShop()).toEqual(DEFAULT_SHOP);
    expect(await downloadAll(PRODUCTS_BULK_QUERY)).toBe(await readFile(join(REAL_FIXTURES, 'products.jsonl'), 'utf8'));
    expect(await downloadAll(ORDERS_BULK_QUERY)).toBe(await readFile(join(REAL_FIXTURES, 'orders.jsonl'), 'utf8'));
    // The real sample has no refunds file: its order simply has no refunds.
    expect(await client.fetchRefunds(['gid://shopify/Order/3838572757198'])).toEqual([]);
  });

  it('loads a generated fixture folder, or generator options, through the control API', async () => {
    const options = { seed: 43, products: 6, orders: 25, startDate: '2026-09-01', days: 5, shuffleChildren: true };
    await writeStoreFixture(dir, options);
    await control('store', { fixtureDir: dir });
    const expected = generateStore(options);
    expect(await downloadAll(ORDERS_BULK_QUERY)).toBe(`${expected.fixture.orders.join('\n')}\n`);
    await control('store', { generate: { ...options, seed: 44 } });
    expect((await client.fetchShop()).myshopifyDomain).toBe('generated-store-44.myshopify.com');
  });

  it('answers Range requests on a result URL with 206 and the bytes asked for (416 past the end), generated or from a file', async () => {
    const options = { seed: 45, products: 5, orders: 30 };
    for (const store of [{ generate: options }, { fixtureDir: REAL_FIXTURES }]) {
      await control('store', store);
      const operation = await waitForOperation(client, (await client.runBulkQuery(ORDERS_BULK_QUERY)).id);
      const url = operation.url as string;
      const whole = Buffer.from(await (await fetch(url)).arrayBuffer());
      const from = Math.floor(whole.length / 3);
      const rest = await fetch(url, { headers: { Range: `bytes=${from}-` } });
      expect(rest.status).toBe(206);
      expect(rest.headers.get('content-range')).toBe(`bytes ${from}-${whole.length - 1}/${whole.length}`);
      expect(Buffer.from(await rest.arrayBuffer()).equals(whole.subarray(from))).toBe(true);
      const middle = await fetch(url, { headers: { Range: `bytes=${from}-${from + 99}` } });
      expect(Buffer.from(await middle.arrayBuffer()).equals(whole.subarray(from, from + 100))).toBe(true);
      const past = await fetch(url, { headers: { Range: `bytes=${whole.length}-` } });
      expect(past.status).toBe(416);
    }
  });

  it('sets faults, logs requests and resets through the control API', async () => {
    await control('reset', {});
    expect(await control('faults', { throttle: 1, httpErrors: { times: 1 } })).toMatchObject({
      throttle: 1,
      httpErrors: { times: 1, status: 503 },
    });
    const fast = createShopifyClient({
      shopDomain: simulator.shopDomain,
      accessToken: simulator.accessToken,
      adminApiUrl: simulator.adminApiUrl,
      sleep: async () => {},
    });
    await fast.fetchShop();
    const log = (await fetch(`${simulator.url}/__simulator/requests`).then((r) => r.json())) as {
      outcome: string;
      faults?: string[];
    }[];
    expect(log.map((entry) => entry.outcome)).toEqual(['http-503', 'throttled', 'ok']);
    // each faulty answer names the knob behind it, so a test can show its fault fired
    expect(log.map((entry) => entry.faults)).toEqual([['httpErrors'], ['throttle'], undefined]);
    await control('reset', {});
    expect(await fetch(`${simulator.url}/__simulator/requests`).then((r) => r.json())).toEqual([]);

    // knobs that show in a later answer: the poll that saw the operation FAILED, its partial download
    await control('store', { generate: { seed: 45, products: 4, orders: 0 } });
    await control('config', { timing: { createdMs: 0, runningMs: 0 } });
    await control('faults', { failOperation: { times: 1, partialFraction: 0.5 } });
    const failed = await waitForOperation(fast, (await fast.runBulkQuery(PRODUCTS_BULK_QUERY)).id);
    expect(failed.status).toBe('FAILED');
    await fetch(failed.partialDataUrl as string).then((r) => r.text());
    const shaped = (
      (await fetch(`${simulator.url}/__simulator/requests`).then((r) => r.json())) as {
        kind: string;
        faults?: string[];
      }[]
    ).filter((entry) => entry.faults);
    expect(shaped.at(-2)).toMatchObject({ kind: 'graphql', faults: ['failOperation'] });
    expect(shaped.at(-1)).toMatchObject({ kind: 'download', faults: ['failOperation'] });
    await control('reset', {});
    expect(await control('faults', { nonsense: 1 })).toEqual({ error: 'unknown fault knob: nonsense' });
  });
});
