import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type ShopifySimulator, startShopifySimulator } from '../../scripts/shopify-simulator/server.ts';
import { generateStore } from '../../scripts/store-generator/generate.ts';
import {
  type BulkOperation,
  BulkOperationInProgressError,
  BulkOperationLimitReachedError,
  createShopifyClient,
  isTerminalBulkOperationStatus,
  ORDERS_BULK_QUERY,
  ordersBulkQuery,
  PRODUCTS_BULK_QUERY,
  type ShopifyClient,
} from '../../workers/shared/shopify/client.ts';

const store = generateStore({
  seed: 31,
  products: 25,
  orders: 120,
  startDate: '2026-08-01',
  days: 15,
  shuffleChildren: true,
});

describe('bulk operations through the client and the simulator', () => {
  let simulator: ShopifySimulator;
  let client: ShopifyClient;
  let clock = Date.parse('2026-11-20T12:00:00Z');

  /** Polls (the simulator computes results asynchronously) until the operation reaches `status`. */
  async function until(id: string, statuses: BulkOperation['status'][]): Promise<BulkOperation> {
    for (let attempt = 0; attempt < 200; attempt++) {
      const operation = await client.getBulkOperation(id);
      if (operation && statuses.includes(operation.status)) return operation;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`operation ${id} never reached ${statuses.join('/')}`);
  }

  async function finish(id: string): Promise<BulkOperation> {
    clock += 10_000;
    return until(id, ['COMPLETED', 'FAILED', 'CANCELED', 'EXPIRED']);
  }

  const download = async (url: string | null) => {
    if (!url) throw new Error('no url');
    const response = await fetch(url);
    return { status: response.status, text: await response.text() };
  };
  const linesOf = (text: string) => text.split('\n').filter((line) => line !== '');

  beforeAll(async () => {
    simulator = await startShopifySimulator({ store, now: () => clock });
    client = createShopifyClient({
      shopDomain: simulator.shopDomain,
      accessToken: simulator.accessToken,
      adminApiUrl: simulator.adminApiUrl,
      sleep: async () => {},
    });
  });
  afterEach(() => simulator.reset());
  afterAll(() => simulator.close());

  it('moves CREATED → RUNNING → COMPLETED and serves exactly the store’s lines', async () => {
    const created = await client.runBulkQuery(PRODUCTS_BULK_QUERY);
    expect(created).toMatchObject({
      status: 'CREATED',
      url: null,
      errorCode: null,
      type: 'QUERY',
      query: PRODUCTS_BULK_QUERY,
    });
    clock += 25;
    expect((await client.getBulkOperation(created.id))?.status).toBe('RUNNING');
    const done = await finish(created.id);
    expect(done).toMatchObject({
      status: 'COMPLETED',
      objectCount: store.fixture.products.length,
      rootObjectCount: store.legacy.products.length,
      partialDataUrl: null,
    });
    expect(isTerminalBulkOperationStatus(done.status)).toBe(true);
    const file = await download(done.url);
    expect(file.status).toBe(200);
    expect(linesOf(file.text)).toEqual(store.fixture.products);
    expect(done.fileSize).toBe(Buffer.byteLength(file.text));
  });

  it('filters an incremental window by updated_at and keeps the children of the chosen orders, wherever they are', async () => {
    const orders = store.fixture.orders.map((line) => JSON.parse(line) as Record<string, string>);
    const parents = orders.filter((o) => !o.__parentId);
    const cut = [...parents.map((o) => o.updatedAt as string)].sort()[Math.floor(parents.length / 2)] as string;
    const chosen = new Set(parents.filter((o) => (o.updatedAt as string) >= cut).map((o) => o.id));
    const operation = await client.runBulkQuery(ordersBulkQuery({ updatedAtMin: cut }));
    const done = await finish(operation.id);
    const lines = linesOf((await download(done.url)).text);
    expect(lines).toEqual(
      store.fixture.orders.filter((_, i) => chosen.has(orders[i]?.__parentId ?? orders[i]?.id ?? '')),
    );
    expect(done.rootObjectCount).toBe(chosen.size);
    expect(chosen.size).toBeGreaterThan(0);
    expect(chosen.size).toBeLessThan(parents.length);
  });

  it('FAILED with INTERNAL_SERVER_ERROR leaves a partialDataUrl with the first part of the data', async () => {
    simulator.setFaults({ failOperation: { times: 1, errorCode: 'INTERNAL_SERVER_ERROR', partialFraction: 0.4 } });
    const done = await finish((await client.runBulkQuery(ORDERS_BULK_QUERY)).id);
    expect(done).toMatchObject({ status: 'FAILED', errorCode: 'INTERNAL_SERVER_ERROR', url: null });
    const partial = linesOf((await download(done.partialDataUrl)).text);
    expect(partial).toEqual(store.fixture.orders.slice(0, Math.floor(store.fixture.orders.length * 0.4)));
    expect(done.objectCount).toBe(partial.length);
    // The next run is clean again.
    const again = await finish((await client.runBulkQuery(ORDERS_BULK_QUERY)).id);
    expect(again.status).toBe('COMPLETED');
  });

  it('FAILED with ACCESS_DENIED has no partial data', async () => {
    simulator.setFaults({ failOperation: { times: 1, errorCode: 'ACCESS_DENIED' } });
    const done = await finish((await client.runBulkQuery(ORDERS_BULK_QUERY)).id);
    expect(done).toMatchObject({ status: 'FAILED', errorCode: 'ACCESS_DENIED', url: null, partialDataUrl: null });
  });

  it('an expired result URL answers 403 until a fresh download succeeds', async () => {
    simulator.setFaults({ expiredUrl: 1 });
    const done = await finish((await client.runBulkQuery(PRODUCTS_BULK_QUERY)).id);
    expect((await download(done.url)).status).toBe(403);
    const second = await download(done.url);
    expect(second.status).toBe(200);
    expect(linesOf(second.text)).toEqual(store.fixture.products);
  });

  it('an operation whose results expired reports EXPIRED without a url, and its old url answers 403', async () => {
    const done = await finish((await client.runBulkQuery(PRODUCTS_BULK_QUERY)).id);
    simulator.setFaults({ expireOperations: true });
    expect(await client.getBulkOperation(done.id)).toMatchObject({ status: 'EXPIRED', url: null });
    expect((await download(done.url)).status).toBe(403);
  });

  it('a truncated download breaks off mid-body (shorter than its Content-Length); the retry is whole', async () => {
    simulator.setFaults({ truncatedDownload: { times: 1, fraction: 0.5 } });
    const done = await finish((await client.runBulkQuery(ORDERS_BULK_QUERY)).id);
    const response = await fetch(done.url as string);
    expect(Number(response.headers.get('content-length'))).toBe(done.fileSize);
    await expect(response.text()).rejects.toThrow();
    expect(linesOf((await download(done.url)).text)).toEqual(store.fixture.orders);
  });

  it('OPERATION_IN_PROGRESS becomes a typed error carrying the running operation to adopt', async () => {
    simulator.setFaults({ operationInProgress: 1 });
    const error = await client.runBulkQuery(ORDERS_BULK_QUERY).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BulkOperationInProgressError);
    const running = (error as BulkOperationInProgressError).running;
    expect(running).toHaveLength(1);
    expect(running[0]).toMatchObject({ query: ORDERS_BULK_QUERY, type: 'QUERY' });
    expect(await client.listRunningBulkOperations()).toEqual(running);
    const adopted = await finish(running[0]?.id as string);
    expect(linesOf((await download(adopted.url)).text)).toEqual(store.fixture.orders);
    expect(await client.listRunningBulkOperations()).toEqual([]);
  });

  it('a second bulk query while one runs is OPERATION_IN_PROGRESS when the shop allows one at a time', async () => {
    simulator.configure({ maxConcurrentOperations: 1 });
    const first = await client.runBulkQuery(PRODUCTS_BULK_QUERY);
    const error = await client.runBulkQuery(ORDERS_BULK_QUERY).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BulkOperationInProgressError);
    expect((error as BulkOperationInProgressError).running.map((op) => op.id)).toEqual([first.id]);
  });

  it('LIMIT_REACHED beyond five concurrent operations (API 2026-01+), and on demand', async () => {
    simulator.configure({ timing: { runningMs: 60_000 } });
    for (let i = 0; i < 5; i++) await client.runBulkQuery(PRODUCTS_BULK_QUERY);
    const error = await client.runBulkQuery(PRODUCTS_BULK_QUERY).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BulkOperationLimitReachedError);
    expect((error as BulkOperationLimitReachedError).codes).toEqual(['LIMIT_REACHED']);
    expect((error as BulkOperationLimitReachedError).retryable).toBe(true);
    simulator.reset();
    simulator.setFaults({ limitReached: 1 });
    await expect(client.runBulkQuery(PRODUCTS_BULK_QUERY)).rejects.toBeInstanceOf(BulkOperationLimitReachedError);
    expect((await client.runBulkQuery(PRODUCTS_BULK_QUERY)).status).toBe('CREATED');
  });

  it('a slow operation stays RUNNING until its time is up', async () => {
    simulator.setFaults({ slowOperation: { times: 1, runningMs: 5 * 60_000 } });
    const operation = await client.runBulkQuery(PRODUCTS_BULK_QUERY);
    clock += 60_000;
    expect((await until(operation.id, ['RUNNING'])).url).toBeNull();
    clock += 4 * 60_000 + 100;
    expect((await until(operation.id, ['COMPLETED'])).objectCount).toBe(store.fixture.products.length);
  });

  it('cancel moves a running operation through CANCELING to CANCELED', async () => {
    simulator.configure({ timing: { runningMs: 60_000 } });
    const operation = await client.runBulkQuery(ORDERS_BULK_QUERY);
    expect((await client.cancelBulkOperation(operation.id)).status).toBe('CANCELING');
    clock += 100;
    expect(await until(operation.id, ['CANCELED'])).toMatchObject({ url: null, partialDataUrl: null });
    await expect(client.cancelBulkOperation(operation.id)).rejects.toThrow(/cannot be canceled when it is canceled/);
  });

  it('an unknown operation id reads as null', async () => {
    expect(await client.getBulkOperation('gid://shopify/BulkOperation/1')).toBeNull();
  });
});
