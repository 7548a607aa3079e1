/**
 * The reads done by ordinary queries: the shop, refund lines (queries sized to what each order
 * has, refund-batches.ts) and product deletions (from the events feed).
 */
import type { ShopifyGraphQL } from './graphql-transport.ts';
import {
  PRODUCT_DELETION_EVENTS_QUERY,
  productDeletionSearch,
  REFUND_LINES_PAGE_QUERY,
  SHOP_QUERY,
} from './queries.ts';
import { planRefundBatches, type RefundOrder } from './refund-batches.ts';
import { type ProductDeletion, type RefundNode, type ShopInfo, toGid } from './types.ts';

/** Refund lines per further page: 2 + 100 × 4 + 1 requested points. */
const REFUND_LINES_PER_PAGE = 100;
const DELETION_EVENTS_PER_PAGE = 250;

export function ordinaryReads(graphql: ShopifyGraphQL) {
  async function fetchShop(): Promise<ShopInfo> {
    const data = await graphql<{ shop: ShopInfo }>(SHOP_QUERY);
    return data.shop;
  }

  type RefundLinePage = {
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
    nodes: RefundNode['refundLineItems']['nodes'];
  };

  type OrderRefundsAnswer = Record<
    string,
    ({
      id: string;
      refunds: (Omit<RefundNode, 'refundLineItems' | 'order'> & { refundLineItems: RefundLinePage })[];
    } | null)[]
  >;

  async function fetchRefunds(orders: readonly (RefundOrder | string | number)[]): Promise<RefundNode[]> {
    const byOrder = new Map<string, RefundNode[]>();
    const batches = planRefundBatches(orders);
    for (const batch of batches) {
      const data = await graphql<OrderRefundsAnswer>(batch.query, batch.variables, {
        expectedCost: batch.requestedCost,
      });
      for (const nodes of Object.values(data)) {
        for (const order of nodes) {
          // A null node is an order that no longer exists (deleted); it has no refunds to load.
          if (!order) continue;
          const refunds: RefundNode[] = [];
          for (const refund of order.refunds) {
            const lines = [...refund.refundLineItems.nodes];
            let page = refund.refundLineItems.pageInfo;
            while (page.hasNextPage) {
              const next = await graphql<{ node: { refundLineItems: RefundLinePage } | null }>(
                REFUND_LINES_PAGE_QUERY,
                { id: refund.id, first: REFUND_LINES_PER_PAGE, after: page.endCursor },
              );
              if (!next.node) break;
              lines.push(...next.node.refundLineItems.nodes);
              page = next.node.refundLineItems.pageInfo;
            }
            refunds.push({
              id: refund.id,
              createdAt: refund.createdAt,
              order: { id: order.id },
              refundLineItems: { nodes: lines },
            });
          }
          byOrder.set(order.id, refunds);
        }
      }
    }
    // in the orders' order, whatever size class each was asked in
    return batches.flatMap((batch) => batch.orderIds.flatMap((id) => byOrder.get(id) ?? []));
  }

  async function fetchProductDeletions(sinceIso: string): Promise<ProductDeletion[]> {
    const deletions: ProductDeletion[] = [];
    const search = productDeletionSearch(sinceIso);
    let after: string | null = null;
    for (;;) {
      const data: {
        events: {
          pageInfo: { hasNextPage: boolean; endCursor: string | null };
          nodes: { createdAt: string; action?: string; subjectId?: string; subjectType?: string }[];
        };
      } = await graphql(PRODUCT_DELETION_EVENTS_QUERY, { first: DELETION_EVENTS_PER_PAGE, after, query: search });
      for (const event of data.events.nodes) {
        if (event.action === 'destroy' && event.subjectType === 'PRODUCT' && event.subjectId) {
          deletions.push({ productId: toGid('Product', event.subjectId), deletedAt: event.createdAt });
        }
      }
      if (!data.events.pageInfo.hasNextPage || !data.events.pageInfo.endCursor) break;
      after = data.events.pageInfo.endCursor;
    }
    return deletions;
  }

  return { fetchShop, fetchRefunds, fetchProductDeletions };
}
