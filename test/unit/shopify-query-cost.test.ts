import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type ShopifySimulator, startShopifySimulator } from '../../scripts/shopify-simulator/server.ts';
import { generateStore } from '../../scripts/store-generator/generate.ts';
import {
  createShopifyClient,
  MAX_REQUESTED_QUERY_COST,
  planRefundBatches,
  type RefundOrder,
  refundOrderCost,
  refundOrderShape,
} from '../../workers/shared/shopify/client.ts';

const ACCESS_TOKEN = 'shpat_simulator_access_token';

/** The orders of a store with their refund and line item counts, as the orders export tells them. */
function refundedOrders(store: ReturnType<typeof generateStore>): RefundOrder[] {
  return store.fixture.orders
    .map((line) => JSON.parse(line) as { id: string; refunds?: unknown[]; __parentId?: string })
    .filter((order) => !order.__parentId && (order.refunds?.length ?? 0) > 0)
    .map((order) => ({
      id: order.id,
      refunds: order.refunds?.length ?? 0,
      lines: store.fixture.orders.filter((line) => line.includes(`"__parentId":"${order.id.replaceAll('/', '\\/')}"`))
        .length,
    }));
}

describe('the simulator charges query cost as Shopify does', () => {
  let clock = Date.parse('2026-11-20T12:00:00Z');
  let simulator: ShopifySimulator;
  const store = generateStore({ seed: 5, products: 20, orders: 400, startDate: '2026-09-01', days: 30 });
  const post = async (query: string, variables: Record<string, unknown> = {}) => {
    const response = await fetch(simulator.adminApiUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Shopify-Access-Token': ACCESS_TOKEN },
      body: JSON.stringify({ query, variables }),
    });
    return (await response.json()) as {
      data?: unknown;
      errors?: { extensions?: { code?: string } }[];
      extensions: {
        cost: {
          requestedQueryCost: number;
          actualQueryCost: number | null;
          throttleStatus: { maximumAvailable: number; currentlyAvailable: number; restoreRate: number };
        };
      };
    };
  };

  beforeAll(async () => {
    simulator = await startShopifySimulator({ store, now: () => clock });
  });
  afterEach(() => simulator.reset());

  const orders = () => refundedOrders(store);
  const [lineQuery] = [
    `query Lines($ids: [ID!]!) { nodes(ids: $ids) { ... on Order { id refunds(first: 3) {
    id refundLineItems(first: 50) { nodes { id lineItem { id } } } } } } }`,
  ];

  it('refuses a query requesting more than 1 000 points with MAX_COST_EXCEEDED, charging nothing', async () => {
    const ids = orders()
      .slice(0, 7)
      .map((o) => o.id);
    // 7 orders × (1 + 3 × (1 + 2 + 50 × 2)) = 2 170 points requested
    const answer = await post(lineQuery, { ids });
    expect(answer.errors?.map((e) => e.extensions?.code)).toEqual(['MAX_COST_EXCEEDED']);
    expect(answer.extensions.cost.requestedQueryCost).toBe(7 * (1 + 3 * (1 + 2 + 50 * 2)));
    expect(answer.extensions.cost.actualQueryCost).toBeNull();
    expect(answer.extensions.cost.throttleStatus.currentlyAvailable).toBe(2000);
    expect(simulator.totals()).toMatchObject({ queries: 0, actualQueryCost: 0, maxCostExceeded: 1 });
  });

  it('charges the requested cost up front and refunds the difference to the actual cost', async () => {
    const ids = orders()
      .slice(0, 3)
      .map((o) => o.id);
    const requested = 3 * (1 + 3 * (1 + 2 + 50 * 2));
    simulator.configure({ bucket: { maximumAvailable: requested - 1, restoreRate: 1 } });
    // the actual cost would fit in the bucket, the requested cost does not: THROTTLED
    const throttled = await post(lineQuery, { ids });
    expect(throttled.errors?.map((e) => e.extensions?.code)).toEqual(['THROTTLED']);

    simulator.configure({ bucket: { maximumAvailable: 2000, restoreRate: 100 } });
    clock += 60_000;
    const answer = await post(lineQuery, { ids });
    const { requestedQueryCost, actualQueryCost, throttleStatus } = answer.extensions.cost;
    expect(requestedQueryCost).toBe(requested);
    // the answer's sizes: each order 1 + its refunds × (1 + 2 + its refund lines × 2)
    const data = answer.data as { nodes: { refunds: { refundLineItems: { nodes: unknown[] } }[] }[] };
    const expectedActual = data.nodes.reduce(
      (sum, order) =>
        sum + 1 + order.refunds.reduce((s, refund) => s + 1 + 2 + refund.refundLineItems.nodes.length * 2, 0),
      0,
    );
    expect(actualQueryCost).toBe(expectedActual);
    expect(actualQueryCost).toBeLessThan(requested);
    expect(throttleStatus.currentlyAvailable).toBe(2000 - expectedActual);
    expect(simulator.totals()).toMatchObject({
      queries: 1,
      requestedQueryCost: requested,
      actualQueryCost: expectedActual,
      throttled: 1,
    });
    // the same over the control API
    const totals = await (await fetch(`${simulator.url}/__simulator/totals`)).json();
    expect(totals).toEqual(simulator.totals());
  });
});

describe('the client’s refund batches against the simulator', () => {
  let clock = Date.parse('2026-11-20T12:00:00Z');
  let simulator: ShopifySimulator;
  const store = generateStore({ seed: 9, products: 30, orders: 1500, startDate: '2026-06-01', days: 90 });
  const sleeps: number[] = [];
  const client = () =>
    createShopifyClient({
      shopDomain: simulator.shopDomain,
      accessToken: simulator.accessToken,
      adminApiUrl: simulator.adminApiUrl,
      now: () => clock,
      sleep: async (ms) => {
        sleeps.push(ms);
        clock += ms;
      },
      random: () => 0.5,
    });

  beforeAll(async () => {
    simulator = await startShopifySimulator({ store, now: () => clock });
  });
  afterEach(() => simulator.reset());

  it('asks each order for what the export says it has, as many orders a query as fit under 1 000 points', async () => {
    const orders = refundedOrders(store);
    expect(orders.length).toBeGreaterThan(100);
    const refunds = await client().fetchRefunds(orders);
    const wanted = new Set(orders.map((o) => o.id));
    expect(refunds).toEqual(
      store.fixture.refunds
        .map((line) => JSON.parse(line) as { order: { id: string } })
        .filter((refund) => wanted.has(refund.order.id)),
    );

    const requests = simulator.requests().filter((r) => r.kind === 'graphql');
    const batches = planRefundBatches(orders);
    expect(requests.map((r) => r.requestedQueryCost)).toEqual(batches.map((b) => b.requestedCost));
    const largestOrder = Math.max(
      ...orders.map((o) => refundOrderCost(refundOrderShape(o).refunds, refundOrderShape(o).lines)),
    );
    for (const [index, request] of requests.entries()) {
      expect(request.outcome).toBe('ok');
      expect(request.requestedQueryCost).toBeLessThanOrEqual(MAX_REQUESTED_QUERY_COST);
      // packed: each query but the last was closed only because the next order did not fit
      if (index < requests.length - 1)
        expect(request.requestedQueryCost).toBeGreaterThan(MAX_REQUESTED_QUERY_COST - largestOrder);
    }
    expect(requests.length).toBeLessThan(orders.length / 10);
    // the client waited for the bucket before sending: Shopify never had to throttle it
    const totals = simulator.totals();
    expect(totals).toMatchObject({ throttled: 0, maxCostExceeded: 0, queries: requests.length });
    expect(totals.actualQueryCost).toBe(requests.reduce((sum, r) => sum + (r.actualQueryCost ?? 0), 0));
    expect(totals.actualQueryCost).toBeLessThan(totals.requestedQueryCost);
  });

  it('cuts an order too large for one query down to what fits, its further lines paged', () => {
    const [batch] = planRefundBatches([{ id: 1, refunds: 2, lines: 400 }]);
    expect(batch?.requestedCost).toBeLessThanOrEqual(MAX_REQUESTED_QUERY_COST);
    expect(batch?.query).toContain('refunds(first: 2)');
    const [many] = planRefundBatches([{ id: 2, refunds: 500, lines: 1 }]);
    expect(many?.requestedCost).toBeLessThanOrEqual(MAX_REQUESTED_QUERY_COST);
  });
});
