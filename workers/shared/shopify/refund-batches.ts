/**
 * How the refunds of many orders are cut into queries under Shopify's single-query limit.
 *
 * Shopify charges a query's requested cost up front (objects 1, a connection 2 + first × its
 * node, a list first × its object) and refunds the difference to the actual cost afterwards; a
 * query requesting more than 1 000 points is refused (MAX_COST_EXCEEDED). The orders export says
 * how many refunds and line items each order has, so each order asks for exactly that, and a
 * query carries as many orders as fit under the limit.
 */
import { orderRefundsQuery, type RefundOrderClass } from './queries.ts';
import { toGid } from './types.ts';

/** Shopify's limit on one query's requested cost. */
export const MAX_REQUESTED_QUERY_COST = 1000;
/** Ids one `nodes(ids:)` field takes. */
const MAX_IDS_PER_FIELD = 250;
/** Sizes asked for an order given by id alone (its counts unknown). */
export const UNKNOWN_ORDER_SHAPE = { refunds: 10, lines: 20 } as const;

/** An order whose refunds to fetch, with its counts from the orders export. */
export interface RefundOrder {
  id: string | number;
  /** Refunds the order has (its `refunds { id }` in the export). */
  refunds: number;
  /** Line items the order has: a refund has at most one line per line item. */
  lines: number;
}

export interface RefundBatch {
  query: string;
  variables: Record<string, string[]>;
  /** The requested cost, as Shopify computes it before running the query. */
  requestedCost: number;
  /** Order gids, in the order they were given. */
  orderIds: string[];
}

/** A refund line: the node 1 + lineItem 1 + subtotalSet 1 + shopMoney 1. */
const LINE_COST = 4;

/** The requested cost of one order in orderRefundsQuery: node 1 + refunds × (refund 1 + lines connection 2 + lines × 4). */
export function refundOrderCost(refunds: number, lines: number): number {
  return 1 + refunds * (1 + 2 + lines * LINE_COST);
}

/**
 * The sizes to ask for: what the order has, the lines cut down when one order alone would exceed
 * the limit (further lines are paged; refunds, a plain list, cannot be).
 */
export function refundOrderShape(order: RefundOrder): { refunds: number; lines: number } {
  const refunds = Math.max(1, Math.min(order.refunds, Math.floor((MAX_REQUESTED_QUERY_COST - 1) / (3 + LINE_COST))));
  const fitting = Math.floor(((MAX_REQUESTED_QUERY_COST - 1) / refunds - 3) / LINE_COST);
  return { refunds, lines: Math.max(1, Math.min(order.lines, fitting, 250)) };
}

/** Cuts the orders, in their order, into queries each requesting at most `maxCost` points. */
export function planRefundBatches(
  orders: readonly (RefundOrder | string | number)[],
  maxCost = MAX_REQUESTED_QUERY_COST,
): RefundBatch[] {
  const seen = new Set<string>();
  const batches: RefundBatch[] = [];
  let current: { classes: Map<string, RefundOrderClass & { ids: string[] }>; cost: number; ids: string[] } | undefined;
  const flush = () => {
    if (!current || current.ids.length === 0) return;
    const classes = [...current.classes.values()];
    batches.push({
      query: orderRefundsQuery(classes),
      variables: Object.fromEntries(classes.map((c) => [c.alias, c.ids])),
      requestedCost: current.cost,
      orderIds: current.ids,
    });
    current = undefined;
  };
  for (const entry of orders) {
    const order = typeof entry === 'object' ? entry : { id: entry, ...UNKNOWN_ORDER_SHAPE };
    const id = toGid('Order', order.id);
    if (seen.has(id)) continue;
    seen.add(id);
    const shape = refundOrderShape(order);
    const cost = refundOrderCost(shape.refunds, shape.lines);
    const alias = `r${shape.refunds}_l${shape.lines}`;
    if (
      current &&
      (current.cost + cost > maxCost || (current.classes.get(alias)?.ids.length ?? 0) >= MAX_IDS_PER_FIELD)
    )
      flush();
    current ??= { classes: new Map(), cost: 0, ids: [] };
    let group = current.classes.get(alias);
    if (!group) {
      group = { alias, ...shape, ids: [] };
      current.classes.set(alias, group);
    }
    group.ids.push(id);
    current.ids.push(id);
    current.cost += cost;
  }
  flush();
  return batches;
}
