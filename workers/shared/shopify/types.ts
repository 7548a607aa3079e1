/**
 * The Shopify Admin API vocabulary the ingest uses: bulk operation states and error codes (kept
 * distinct, as Shopify documents them), the shapes the client returns, and gid helpers.
 */

/** Where a bulk operation is in its life. */
export const BULK_OPERATION_STATUSES = [
  'CREATED',
  'RUNNING',
  'COMPLETED',
  'CANCELING',
  'CANCELED',
  'FAILED',
  'EXPIRED',
] as const;
export type BulkOperationStatus = (typeof BULK_OPERATION_STATUSES)[number];

/** Why a bulk operation FAILED. INTERNAL_SERVER_ERROR and TIMEOUT may leave a `partialDataUrl`. */
export const BULK_OPERATION_ERROR_CODES = ['ACCESS_DENIED', 'INTERNAL_SERVER_ERROR', 'TIMEOUT'] as const;
export type BulkOperationErrorCode = (typeof BULK_OPERATION_ERROR_CODES)[number];

/** `bulkOperationRunQuery` userErrors codes. */
export const BULK_OPERATION_USER_ERROR_CODES = ['INVALID', 'LIMIT_REACHED', 'OPERATION_IN_PROGRESS'] as const;
export type BulkOperationUserErrorCode = (typeof BULK_OPERATION_USER_ERROR_CODES)[number];

/** States a bulk operation never leaves. */
export const TERMINAL_BULK_OPERATION_STATUSES: readonly BulkOperationStatus[] = [
  'COMPLETED',
  'CANCELED',
  'FAILED',
  'EXPIRED',
];

export function isTerminalBulkOperationStatus(status: BulkOperationStatus): boolean {
  return TERMINAL_BULK_OPERATION_STATUSES.includes(status);
}

export interface BulkOperation {
  id: string;
  status: BulkOperationStatus;
  errorCode: BulkOperationErrorCode | null;
  /** Objects written so far (Shopify's UnsignedInt64, as a number). */
  objectCount: number;
  rootObjectCount: number;
  /** Bytes of the result file once COMPLETED. */
  fileSize: number | null;
  /** The JSONL result; expires (403 on download) about seven days after completion. */
  url: string | null;
  /** What a FAILED operation wrote before it failed, when anything. */
  partialDataUrl: string | null;
  createdAt: string;
  completedAt: string | null;
  query: string;
  type: 'QUERY' | 'MUTATION';
}

/** `extensions.cost.throttleStatus`: the leaky bucket of query cost points. */
export interface ThrottleStatus {
  maximumAvailable: number;
  currentlyAvailable: number;
  /** Points restored per second. */
  restoreRate: number;
}

export interface QueryCost {
  requestedQueryCost: number;
  actualQueryCost: number | null;
  throttleStatus: ThrottleStatus;
}

export interface ShopInfo {
  name: string;
  myshopifyDomain: string;
  ianaTimezone: string;
  currencyCode: string;
}

export interface MoneyBag {
  shopMoney: { amount: string; currencyCode: string };
}

/** A Refund exactly as a line of the fixture's refunds.jsonl. */
export interface RefundNode {
  id: string;
  createdAt: string;
  order: { id: string };
  refundLineItems: {
    nodes: { id: string; quantity: number; lineItem: { id: string }; subtotalSet: MoneyBag }[];
  };
}

/** A deleted product, from `events` (action destroy) or the products/delete webhook. */
export interface ProductDeletion {
  productId: string;
  deletedAt: string;
}

// ------------------------------------------------------------------------------------ gids

const GID = /^gid:\/\/shopify\/([A-Za-z]+)\/(\d+)(?:\?.*)?$/;

/** The numeric id of a gid, as a decimal string (Postgres bigint; never rounded through a float). */
export function numericIdFromGid(gid: string): string {
  const match = GID.exec(gid);
  if (!match?.[2]) throw new TypeError(`not a Shopify gid: ${JSON.stringify(gid)}`);
  return match[2];
}

/** The resource type of a gid: `gid://shopify/ProductVariant/1` → `ProductVariant`. */
export function gidType(gid: string): string {
  const match = GID.exec(gid);
  if (!match?.[1]) throw new TypeError(`not a Shopify gid: ${JSON.stringify(gid)}`);
  return match[1];
}

/** A gid from a numeric id (or returns a gid of that type unchanged). */
export function toGid(type: string, id: string | number | bigint): string {
  const text = String(id);
  if (text.startsWith('gid://')) {
    if (gidType(text) !== type) throw new TypeError(`expected a ${type} gid, got ${text}`);
    return text;
  }
  if (!/^\d+$/.test(text)) throw new TypeError(`not a numeric Shopify id: ${JSON.stringify(text)}`);
  return `gid://shopify/${type}/${text}`;
}
