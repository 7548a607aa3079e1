/**
 * Orders changed after a store was generated, for the mart tests and benchmarks: the same orders
 * as legacy REST resources (for the legacy `ingest_order`) and as Shopify export lines (for the
 * ingest loader), so both systems load the same incremental sync.
 */
import { type GeneratedStore, gid, type LegacyOrder } from '../store-generator/generate.ts';

/** Added to every id: no generated store uses ids this high (all stay below 2^53). */
export const FRESH_ID_OFFSET = 100_000_000_000_000;

/** The same order under ids no generated store uses (`times` × the offset). */
export function withFreshIds(order: LegacyOrder, times = 1): LegacyOrder {
  const offset = FRESH_ID_OFFSET * times;
  return {
    ...order,
    id: order.id + offset,
    line_items: order.line_items.map((line) => ({ ...line, id: line.id + offset })),
    refunds: order.refunds.map((refund) => ({
      ...refund,
      id: refund.id + offset,
      refund_line_items: refund.refund_line_items.map((rl) => ({
        ...rl,
        id: rl.id + offset,
        line_item_id: rl.line_item_id + offset,
      })),
    })),
  };
}

/** Legacy REST orders (e.g. edited ones) as the bulk export and refunds query would deliver them. */
export function fixtureLinesOfOrders(
  orders: readonly LegacyOrder[],
): Pick<GeneratedStore['fixture'], 'orders' | 'refunds'> {
  const money = (amount: string, currencyCode: string) => ({ shopMoney: { amount, currencyCode } });
  const lines: string[] = [];
  const refunds: string[] = [];
  for (const o of orders) {
    const orderGid = gid('Order', o.id);
    lines.push(
      JSON.stringify({
        id: orderGid,
        name: o.name,
        processedAt: o.processed_at,
        createdAt: o.created_at,
        updatedAt: o.updated_at,
        cancelledAt: o.cancelled_at,
        test: o.test,
        currencyCode: o.currency,
        displayFinancialStatus: o.financial_status.toUpperCase(),
        displayFulfillmentStatus: o.fulfillment_status.toUpperCase(),
        subtotalPriceSet: money(o.subtotal_price, o.currency),
        totalDiscountsSet: money(o.total_discounts, o.currency),
        totalTaxSet: money(o.total_tax, o.currency),
        totalPriceSet: money(o.total_price, o.currency),
        refunds: o.refunds.map((r) => ({ id: gid('Refund', r.id), createdAt: r.created_at })),
      }),
    );
    for (const li of o.line_items) {
      lines.push(
        JSON.stringify({
          id: gid('LineItem', li.id),
          title: li.title,
          sku: li.sku,
          quantity: li.quantity,
          product: li.product_id === null ? null : { id: gid('Product', li.product_id) },
          variant: li.variant_id === null ? null : { id: gid('ProductVariant', li.variant_id) },
          originalUnitPriceSet: money(li.price, o.currency),
          totalDiscountSet: money(li.total_discount, o.currency),
          __parentId: orderGid,
        }),
      );
    }
    for (const r of o.refunds) {
      refunds.push(
        JSON.stringify({
          id: gid('Refund', r.id),
          createdAt: r.created_at,
          order: { id: orderGid },
          refundLineItems: {
            nodes: r.refund_line_items.map((rl) => ({
              id: gid('RefundLineItem', rl.id),
              quantity: rl.quantity,
              lineItem: { id: gid('LineItem', rl.line_item_id) },
              subtotalSet: money(rl.subtotal, o.currency),
            })),
          },
        }),
      );
    }
  }
  return { orders: lines, refunds };
}
