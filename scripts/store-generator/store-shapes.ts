/**
 * The store generator's public shapes: its options, the fixture files, and the Shopify REST
 * resources of the legacy side (re-exported by generate.ts).
 */
export interface StoreOptions {
  seed: number;
  products: number;
  orders: number;
  /** IANA time zone of the shop (`shop { ianaTimezone }`); default America/New_York. */
  timezone?: string;
  /** ISO 4217 shop currency; default USD. */
  currency?: string;
  /** Place child lines anywhere, before or after their parent (bulk output since groupObjects=false). */
  shuffleChildren?: boolean;
  /** First shop-local day of sales (YYYY-MM-DD). Default: `days` days ending yesterday (shop-local). */
  startDate?: string;
  /** How many shop-local days the orders span; default 90. */
  days?: number;
  /** Share of orders placed within 20 minutes of shop-local midnight; default 0.1. */
  nearMidnightShare?: number;
  /** Write `/` as `\/` like Shopify does; default true. */
  escapeSlashes?: boolean;
}

export interface ShopInfo {
  name: string;
  myshopifyDomain: string;
  ianaTimezone: string;
  currencyCode: string;
}

/** The shop-local days the orders span (both included). */
export interface StorePeriod {
  firstDate: string;
  lastDate: string;
}

export interface StoreFixture {
  products: string[];
  orders: string[];
  refunds: string[];
  deletions: string[];
}

/** A Shopify REST Product as the legacy `ingest_product(jsonb)` reads it. */
export interface LegacyProduct {
  id: number;
  title: string;
  handle: string;
  vendor: string;
  product_type: string;
  status: 'active' | 'archived' | 'draft';
  tags: string;
  created_at: string;
  updated_at: string;
  published_at: string | null;
  variants: LegacyVariant[];
  images: LegacyImage[];
}

export interface LegacyVariant {
  id: number;
  product_id: number;
  title: string;
  sku: string | null;
  price: string;
  compare_at_price: string | null;
  inventory_quantity: number;
  created_at: string;
  updated_at: string;
}

export interface LegacyImage {
  id: number;
  product_id: number;
  src: string;
  alt: string | null;
  position: number;
}

/** A Shopify REST Order as the legacy `ingest_order(jsonb)` reads it. */
export interface LegacyOrder {
  id: number;
  name: string;
  processed_at: string;
  created_at: string;
  updated_at: string;
  cancelled_at: string | null;
  currency: string;
  financial_status: string;
  fulfillment_status: string;
  subtotal_price: string;
  total_discounts: string;
  total_tax: string;
  total_price: string;
  test: boolean;
  line_items: LegacyLineItem[];
  refunds: LegacyRefund[];
}

export interface LegacyLineItem {
  id: number;
  product_id: number | null;
  variant_id: number | null;
  title: string;
  sku: string | null;
  quantity: number;
  price: string;
  total_discount: string;
}

export interface LegacyRefund {
  id: number;
  created_at: string;
  refund_line_items: { id: number; line_item_id: number; quantity: number; subtotal: string }[];
}

export interface LegacyStore {
  products: LegacyProduct[];
  orders: LegacyOrder[];
  deletedProductIds: number[];
}

export interface GeneratedStore {
  shop: ShopInfo;
  period: StorePeriod;
  fixture: StoreFixture;
  legacy: LegacyStore;
}

/** The same store as lazily generated lines and resources; each call starts the sequence anew. */
export interface StoreStream {
  shop: ShopInfo;
  period: StorePeriod;
  productLines(): Generator<string>;
  orderLines(): Generator<string>;
  refundLines(): Generator<string>;
  deletionLines(): Generator<string>;
  legacyProducts(): Generator<LegacyProduct>;
  legacyOrders(): Generator<LegacyOrder>;
  /**
   * orders.jsonl, refunds.jsonl and the legacy orders in one pass over the orders (each order is
   * generated once): the same lines as orderLines(), refundLines() and legacyOrders(), interleaved.
   */
  orderFiles(): Generator<OrderFileLine>;
  deletedProductIds(): number[];
}

export type OrderFileLine = { file: 'orders' | 'refunds'; line: string } | { file: 'legacyOrders'; order: LegacyOrder };

/** The fixture files a store folder holds, by the name the simulator and the loaders use. */
export const FIXTURE_FILES = {
  products: 'products.jsonl',
  orders: 'orders.jsonl',
  refunds: 'refunds.jsonl',
  deletions: 'deletions.jsonl',
} as const;

export type FixtureResource = keyof typeof FIXTURE_FILES;
