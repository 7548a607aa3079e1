/**
 * Refunds by ordinary queries (a bulk query cannot nest their lines), with the cost Shopify
 * charges up front shaped to the orders asked about. Shopify reserves a query's *requested* cost
 * (from `first:` and list sizes) before running it and gives back the difference to the actual
 * cost afterwards, and refuses a query requesting more than 1 000 points (MAX_COST_EXCEEDED). So:
 *   - when the caller knows each order's refund count and line count (the orders export lists its
 *     refunds), `refunds(first:)` and `refundLineItems(first:)` are sized to the batch, orders of a
 *     like shape are batched together, and a batch holds as many orders as fit under 1 000 points;
 *   - a batch Shopify still refuses is split in two;
 *   - up to IN_FLIGHT requests run at once while the bucket holds their requested cost (the client
 *     reserves it), so the bucket stays busy.
 */
import { ShopifyQueryCostError } from './errors.ts';
import { ORDER_REFUNDS_QUERY, ORDER_REFUNDS_SHAPED_QUERY, REFUND_LINES_PAGE_QUERY } from './queries.ts';
import { type RefundNode, toGid } from './types.ts';

/** An order whose refunds are wanted, with what its export says: how many refunds, how many lines. */
export interface RefundedOrder {
  id: string | number;
  refunds: number;
  /** Its line items: a refund has at most this many lines (the first page's size). */
  lines: number;
}

type Graphql = <T>(
  query: string,
  variables?: Record<string, unknown>,
  options?: { expectedCost?: number },
) => Promise<T>;

/** Shopify's single-query limit on requested cost. */
export const MAX_REQUESTED_COST = 1000;
const MAX_PAGE = 250;
const IN_FLIGHT = 2;
/** Orders per request, and lines per first page, when the refund counts are not known. */
const UNSHAPED_ORDERS_PER_REQUEST = 10;
const UNSHAPED_LINES_PER_PAGE = 20;

/**
 * The requested cost of ORDER_REFUNDS_SHAPED_QUERY, as Shopify computes it: per order node 1, plus
 * per refund 1 + its order 1 + its lines connection (2 + per line: the line, its lineItem, its
 * subtotalSet and shopMoney).
 */
export function refundsRequestedCost(orders: number, refundsFirst: number, linesFirst: number): number {
  return orders * (1 + refundsFirst * (4 + 4 * linesFirst));
}

interface Batch {
  ids: string[];
  refundsFirst: number;
  linesFirst: number;
}

/** Orders of a like shape together, each batch as many as fit under the limit. */
export function planRefundBatches(orders: readonly RefundedOrder[], limit = MAX_REQUESTED_COST): Batch[] {
  const sorted = [...orders]
    .map((o) => ({
      id: toGid('Order', o.id),
      refunds: Math.max(1, o.refunds),
      lines: Math.min(MAX_PAGE, Math.max(1, o.lines)),
    }))
    .sort((a, b) => a.refunds - b.refunds || a.lines - b.lines);
  const batches: Batch[] = [];
  let current: Batch | null = null;
  for (const order of sorted) {
    const refundsFirst = Math.max(current?.refundsFirst ?? 0, order.refunds);
    const linesFirst = Math.max(current?.linesFirst ?? 0, order.lines);
    if (
      current &&
      current.ids.length < MAX_PAGE &&
      refundsRequestedCost(current.ids.length + 1, refundsFirst, linesFirst) <= limit
    ) {
      Object.assign(current, { refundsFirst, linesFirst });
      current.ids.push(order.id);
      continue;
    }
    // alone, an order with many refunds gets a smaller first page of lines (the rest is paged)
    const fitting = Math.floor(((limit - 1) / order.refunds - 4) / 4);
    current = { ids: [order.id], refundsFirst: order.refunds, linesFirst: Math.max(1, Math.min(order.lines, fitting)) };
    batches.push(current);
  }
  return batches;
}

type RefundLinePage = {
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  nodes: RefundNode['refundLineItems']['nodes'];
};
type RefundsAnswer = {
  nodes: ({
    id: string;
    refunds: (Omit<RefundNode, 'refundLineItems'> & { refundLineItems: RefundLinePage })[];
  } | null)[];
};

/** The refunds of `orders` (gids, numeric ids, or RefundedOrder with their shape), each with all its lines. */
export async function fetchRefunds(
  graphql: Graphql,
  orders: readonly (string | number | RefundedOrder)[],
): Promise<RefundNode[]> {
  const shaped = orders.filter((o): o is RefundedOrder => typeof o === 'object');
  const plain = [...new Set(orders.filter((o) => typeof o !== 'object').map((id) => toGid('Order', id)))];
  const batches = planRefundBatches(shaped);
  for (let start = 0; start < plain.length; start += UNSHAPED_ORDERS_PER_REQUEST) {
    batches.push({
      ids: plain.slice(start, start + UNSHAPED_ORDERS_PER_REQUEST),
      refundsFirst: 0,
      linesFirst: UNSHAPED_LINES_PER_PAGE,
    });
  }
  const results: RefundNode[][] = new Array(batches.length);
  let next = 0;
  const worker = async () => {
    while (next < batches.length) {
      const index = next++;
      results[index] = await fetchBatch(graphql, batches[index] as Batch);
    }
  };
  await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, batches.length) }, worker));
  return results.flat();
}

async function fetchBatch(graphql: Graphql, batch: Batch): Promise<RefundNode[]> {
  let data: RefundsAnswer;
  try {
    data =
      batch.refundsFirst === 0
        ? await graphql<RefundsAnswer>(ORDER_REFUNDS_QUERY, { ids: batch.ids, linesFirst: batch.linesFirst })
        : await graphql<RefundsAnswer>(
            ORDER_REFUNDS_SHAPED_QUERY,
            { ids: batch.ids, refundsFirst: batch.refundsFirst, linesFirst: batch.linesFirst },
            { expectedCost: refundsRequestedCost(batch.ids.length, batch.refundsFirst, batch.linesFirst) },
          );
  } catch (error) {
    // Shopify counted more than planned: the batch in two halves (one order: half the first page)
    if (!(error instanceof ShopifyQueryCostError) || (batch.ids.length === 1 && batch.linesFirst === 1)) throw error;
    if (batch.ids.length === 1) return fetchBatch(graphql, { ...batch, linesFirst: Math.ceil(batch.linesFirst / 2) });
    const half = Math.ceil(batch.ids.length / 2);
    return [
      ...(await fetchBatch(graphql, { ...batch, ids: batch.ids.slice(0, half) })),
      ...(await fetchBatch(graphql, { ...batch, ids: batch.ids.slice(half) })),
    ];
  }
  const refunds: RefundNode[] = [];
  for (const order of data.nodes) {
    // A null node is an order that no longer exists (deleted); it has no refunds to load.
    for (const refund of order?.refunds ?? []) {
      const lines = [...refund.refundLineItems.nodes];
      let page = refund.refundLineItems.pageInfo;
      while (page.hasNextPage) {
        const more = await graphql<{ node: { refundLineItems: RefundLinePage } | null }>(REFUND_LINES_PAGE_QUERY, {
          id: refund.id,
          first: Math.min(MAX_PAGE, UNSHAPED_LINES_PER_PAGE * 5),
          after: page.endCursor,
        });
        if (!more.node) break;
        lines.push(...more.node.refundLineItems.nodes);
        page = more.node.refundLineItems.pageInfo;
      }
      refunds.push({
        id: refund.id,
        createdAt: refund.createdAt,
        order: refund.order,
        refundLineItems: { nodes: lines },
      });
    }
  }
  return refunds;
}
