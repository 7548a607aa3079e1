import { createServer } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type ShopifySimulator, startShopifySimulator } from '../../scripts/shopify-simulator/server.ts';
import { DEFAULT_SHOP, storeFromFixture } from '../../scripts/shopify-simulator/store-source.ts';
import { generateStore } from '../../scripts/store-generator/generate.ts';
import {
  createShopifyClient,
  numericIdFromGid,
  ShopifyAuthenticationError,
  type ShopifyClient,
  type ShopifyClientOptions,
  ShopifyHttpError,
  ShopifyNetworkError,
  ShopifyQueryCostError,
  ShopifyThrottledError,
  toGid,
} from '../../workers/shared/shopify/client.ts';
import { fetchRefunds, planRefundBatches } from '../../workers/shared/shopify/refunds.ts';

/** A clock both the simulator and the client read; the client's sleeps move it forward. */
function fakeTime(start = Date.parse('2026-11-20T12:00:00Z')) {
  let clock = start;
  const sleeps: number[] = [];
  return {
    now: () => clock,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      clock += ms;
    },
    advance: (ms: number) => {
      clock += ms;
    },
    sleeps,
  };
}

describe('the Shopify client against the simulator', () => {
  const store = generateStore({ seed: 21, products: 30, orders: 150, startDate: '2026-09-01', days: 20 });
  let simulator: ShopifySimulator;
  let time: ReturnType<typeof fakeTime>;
  let client: ShopifyClient;
  const clientFor = (options: Partial<ShopifyClientOptions> = {}) =>
    createShopifyClient({
      shopDomain: simulator.shopDomain,
      accessToken: simulator.accessToken,
      adminApiUrl: simulator.adminApiUrl,
      now: time.now,
      sleep: time.sleep,
      random: () => 0.5,
      ...options,
    });

  beforeAll(async () => {
    time = fakeTime();
    simulator = await startShopifySimulator({ store, now: () => time.now() });
  });
  afterEach(async () => {
    simulator.reset();
    await simulator.setStore(store);
    time.sleeps.length = 0;
    client = clientFor();
  });
  afterAll(() => simulator.close());

  it('sends the access token and reads the shop', async () => {
    client = clientFor();
    expect(await client.fetchShop()).toEqual(store.shop);
    expect(client.throttleStatus).toMatchObject({ maximumAvailable: 2000, restoreRate: 100 });
  });

  it('fails a wrong access token at once with an authentication error (no retry)', async () => {
    const error = await clientFor({ accessToken: 'shpat_wrong' })
      .fetchShop()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ShopifyAuthenticationError);
    expect((error as ShopifyAuthenticationError).status).toBe(401);
    expect((error as ShopifyAuthenticationError).retryable).toBe(false);
    expect(simulator.requests().filter((r) => r.kind === 'graphql')).toHaveLength(1);
  });

  it('waits out THROTTLED answers at the reported restore rate, then succeeds', async () => {
    client = clientFor();
    simulator.setFaults({ throttle: 2 });
    expect(await client.fetchShop()).toEqual(store.shop);
    // requested 1, currentlyAvailable reported as 0, restoreRate 100/s: 10 ms plus up to 250 ms jitter (random 0.5).
    expect(time.sleeps).toEqual([135, 135]);
    expect(simulator.requests().map((r) => r.outcome)).toEqual(['throttled', 'throttled', 'ok']);
  });

  it('gives up after a bounded number of THROTTLED answers with a typed, retryable error', async () => {
    simulator.setFaults({ throttle: 10 });
    const error = await clientFor({ maxAttempts: 3 })
      .fetchShop()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ShopifyThrottledError);
    expect((error as ShopifyThrottledError).retryable).toBe(true);
    expect(simulator.requests()).toHaveLength(3);
  });

  it('waits before sending when the leaky bucket cannot hold the next query, so Shopify never throttles', async () => {
    // 120 deletion events: a page of 100 costs 102 points of a 150-point bucket refilling 10/s.
    const deletions = Array.from({ length: 120 }, (_, i) =>
      JSON.stringify({
        subjectType: 'PRODUCT',
        subjectId: `gid://shopify/Product/${1000 + i}`,
        action: 'destroy',
        createdAt: new Date(Date.parse('2026-10-01T00:00:00Z') + i * 60_000).toISOString().replace('.000', ''),
      }),
    );
    await simulator.setStore(storeFromFixture(store.shop, { deletions }));
    simulator.reset();
    simulator.configure({ bucket: { maximumAvailable: 150, restoreRate: 10 } });
    client = clientFor();
    const query = '{ events(first: 100, query: "action:destroy") { nodes { id } } }';
    await client.graphql(query);
    const left = client.throttleStatus?.currentlyAvailable ?? 0;
    expect(left).toBeLessThan(102);
    await client.graphql(query);
    expect(time.sleeps).toEqual([Math.ceil(((102 - left) / 10) * 1000)]);
    expect(simulator.requests().map((r) => r.outcome)).toEqual(['ok', 'ok']);
  });

  it('retries HTTP 5xx with exponential backoff and jitter', async () => {
    simulator.setFaults({ httpErrors: { times: 3, status: 503 } });
    expect(await client.fetchShop()).toEqual(store.shop);
    // base 500 ms doubling; half fixed, half jitter (random 0.5).
    expect(time.sleeps).toEqual([375, 750, 1500]);
  });

  it('stops after maxAttempts on persistent 5xx with an HTTP error naming the status', async () => {
    simulator.setFaults({ httpErrors: { times: 100, status: 502 } });
    const error = await client.fetchShop().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ShopifyHttpError);
    expect((error as ShopifyHttpError).status).toBe(502);
    expect(simulator.requests()).toHaveLength(6);
    expect(time.sleeps).toHaveLength(5);
    expect(Math.max(...time.sleeps)).toBeLessThanOrEqual(30_000);
  });

  it('honours Retry-After on HTTP 429', async () => {
    simulator.setFaults({ rateLimited: { times: 1, retryAfterSeconds: 2 } });
    expect(await client.fetchShop()).toEqual(store.shop);
    expect(time.sleeps).toEqual([2000]);
  });

  it('refuses a query over the single-query cost limit with a typed error, without retrying', async () => {
    const page = (alias: string) => `${alias}: events(first: 250) { nodes { id } }`;
    const error = await client.graphql(`{ ${['a', 'b', 'c', 'd'].map(page).join(' ')} }`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ShopifyQueryCostError);
    expect((error as ShopifyQueryCostError).codes).toEqual(['MAX_COST_EXCEEDED']);
    expect(simulator.requests()).toHaveLength(1);
  });

  it('reports an unreachable Shopify as a network error after its retries', async () => {
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    const error = await clientFor({
      adminApiUrl: `http://127.0.0.1:${port}/admin/api/2026-07/graphql.json`,
      maxAttempts: 2,
    })
      .fetchShop()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ShopifyNetworkError);
    expect(time.sleeps).toHaveLength(1);
  });

  it('fetches every refund of the given orders with all its lines, as refunds.jsonl lines', async () => {
    const orderIds = store.legacy.orders.map((order) => order.id);
    const refunds = await client.fetchRefunds(orderIds);
    const expected = store.fixture.refunds.map((line) => JSON.parse(line));
    expect(refunds).toEqual(expected);
    expect(refunds.length).toBeGreaterThan(3);
    // Ten orders per request: cost stays under the single-query limit.
    expect(simulator.requests().every((r) => (r.requestedQueryCost ?? 0) <= 1000)).toBe(true);
  });

  it('shapes the requested cost to the orders’ known refunds and lines: fewer requests, each under 1000, close to actual', async () => {
    const refundsByOrder = new Map<string, number>();
    for (const line of store.fixture.refunds) {
      const orderId = numericIdFromGid((JSON.parse(line) as { order: { id: string } }).order.id);
      refundsByOrder.set(orderId, (refundsByOrder.get(orderId) ?? 0) + 1);
    }
    const orders = store.legacy.orders
      .filter((o) => refundsByOrder.has(String(o.id)))
      .map((o) => ({ id: o.id, refunds: refundsByOrder.get(String(o.id)) ?? 0, lines: o.line_items.length }));
    const refunds = await client.fetchRefunds(orders);
    const byId = (a: { id: string }, b: { id: string }) => a.id.localeCompare(b.id);
    expect([...refunds].sort(byId)).toEqual(store.fixture.refunds.map((line) => JSON.parse(line)).sort(byId));
    const requests = simulator.requests().filter((r) => r.operationName === 'OrderRefundsShaped');
    expect(requests.every((r) => (r.requestedQueryCost ?? 0) <= 1000)).toBe(true);
    expect(requests.length).toBeLessThan(orders.length / 10);
    const requested = requests.reduce((sum, r) => sum + (r.requestedQueryCost ?? 0), 0);
    const actual = requests.reduce((sum, r) => sum + (r.actualQueryCost ?? 0), 0);
    // lines are bounded by the order’s line items (most refunds return fewer): requested stays within a few times actual
    expect(requested).toBeLessThan(actual * 4);
    expect(simulator.requests().some((r) => r.outcome === 'throttled')).toBe(false);
  });

  it('a lone order with many refunds of many lines gets a smaller first page and the rest paged, never over 1000', async () => {
    const orderId = 'gid://shopify/Order/1';
    const refunds = [7, 8, 9].map((n) => ({
      id: `gid://shopify/Refund/${n}`,
      createdAt: '2026-10-02T00:00:00Z',
      order: { id: orderId },
      refundLineItems: {
        nodes: Array.from({ length: 120 }, (_, i) => ({
          id: `gid://shopify/RefundLineItem/${n * 1000 + i}`,
          quantity: 1,
          lineItem: { id: `gid://shopify/LineItem/${900 + i}` },
          subtotalSet: { shopMoney: { amount: '1.00', currencyCode: 'USD' } },
        })),
      },
    }));
    await simulator.setStore(
      storeFromFixture(DEFAULT_SHOP, {
        orders: [
          JSON.stringify({
            id: orderId,
            updatedAt: '2026-10-02T00:00:00Z',
            refunds: refunds.map((r) => ({ id: r.id })),
          }),
        ],
        refunds: refunds.map((r) => JSON.stringify(r)),
      }),
    );
    expect(await client.fetchRefunds([{ id: 1, refunds: 3, lines: 120 }])).toEqual(refunds);
    expect(simulator.requests().every((r) => (r.requestedQueryCost ?? 0) <= 1000)).toBe(true);
    expect(simulator.requests().some((r) => r.outcome === 'max-cost-exceeded')).toBe(false);
  });

  it('pages a refund’s lines beyond the first page and skips orders that no longer exist', async () => {
    const orderId = 'gid://shopify/Order/1';
    const lines = Array.from({ length: 47 }, (_, i) => ({
      id: `gid://shopify/RefundLineItem/${500 + i}`,
      quantity: 1,
      lineItem: { id: `gid://shopify/LineItem/${900 + i}` },
      subtotalSet: { shopMoney: { amount: '1.00', currencyCode: 'USD' } },
    }));
    const refund = {
      id: 'gid://shopify/Refund/7',
      createdAt: '2026-10-02T00:00:00Z',
      order: { id: orderId },
      refundLineItems: { nodes: lines },
    };
    await simulator.setStore(
      storeFromFixture(DEFAULT_SHOP, {
        orders: [JSON.stringify({ id: orderId, updatedAt: '2026-10-02T00:00:00Z', refunds: [{ id: refund.id }] })],
        refunds: [JSON.stringify(refund)],
      }),
    );
    expect(await client.fetchRefunds([1, 'gid://shopify/Order/2'])).toEqual([refund]);
    expect(simulator.requests().map((r) => r.operationName)).toEqual(['OrderRefunds', 'RefundLines']);
  });

  it('lists product deletions since a moment, from destroy events', async () => {
    const all = store.fixture.deletions.map((line) => JSON.parse(line) as { subjectId: string; createdAt: string });
    expect(all.length).toBeGreaterThan(1);
    const since = all[1]?.createdAt as string;
    expect(await client.fetchProductDeletions(since)).toEqual(
      all.filter((d) => d.createdAt >= since).map((d) => ({ productId: d.subjectId, deletedAt: d.createdAt })),
    );
  });
});

describe('refund batches', () => {
  it('split in two when Shopify refuses one as over 1000 points', async () => {
    const sizes: number[] = [];
    const graphql = async <T>(_query: string, variables: Record<string, unknown> = {}): Promise<T> => {
      const ids = variables.ids as string[];
      sizes.push(ids.length);
      if (ids.length > 3)
        throw new ShopifyQueryCostError([{ message: 'too costly', extensions: { code: 'MAX_COST_EXCEEDED' } }]);
      return { nodes: ids.map((id) => ({ id, refunds: [] })) } as T;
    };
    const orders = Array.from({ length: 10 }, (_, i) => ({ id: i + 1, refunds: 1, lines: 1 }));
    expect(planRefundBatches(orders)).toHaveLength(1);
    expect(await fetchRefunds(graphql, orders)).toEqual([]);
    expect(sizes).toEqual([10, 5, 3, 2, 5, 3, 2]);
  });
});

describe('gid helpers', () => {
  it('take the numeric id as a string and build gids', () => {
    expect(numericIdFromGid('gid://shopify/Product/7400000002693')).toBe('7400000002693');
    expect(numericIdFromGid('gid://shopify/ProductImage/31200000000001?v=1')).toBe('31200000000001');
    expect(() => numericIdFromGid('7400000002693')).toThrow(/not a Shopify gid/);
    expect(toGid('Order', 5600000000009)).toBe('gid://shopify/Order/5600000000009');
    expect(toGid('Order', 'gid://shopify/Order/1')).toBe('gid://shopify/Order/1');
    expect(() => toGid('Order', 'gid://shopify/Product/1')).toThrow(/expected a Order gid/);
  });
});
