/**
 * The deterministic store generator: one seeded Shopify store, written two ways.
 *
 * - `fixture`: JSON lines exactly as a Shopify bulk operation (and the ordinary refund and event
 *   queries) would write them — the store fixture format of shared/spec/product.md.
 * - `legacy`: the same store as Shopify REST resources, the input of the legacy database's
 *   `ingest_product(jsonb)`, `ingest_order(jsonb)` and `delete_product(bigint)`.
 *
 * Loading `fixture` through the new system and `legacy` through the legacy functions must give the
 * same rows: that pair is the oracle of the ingest tests. Pure TypeScript, no node: imports, so it
 * runs in Node (CLI, benchmarks, simulator) and inside workerd (Workers tests) alike.
 *
 * Every product and order is generated from its own seeded random stream, so the files can be
 * streamed in any size (`generateStoreStream`) and the whole store never has to be in memory;
 * only the product catalog (which orders sell from) is.
 */
import { Random, STREAMS } from './random.ts';
import {
  assertTimeZone,
  epochDayFromIsoDate,
  isoDateFromEpochDay,
  localEpochDay,
  localToUtcMs,
  MS_PER_DAY,
  shopifyTimestamp,
} from './zoned-time.ts';

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

// ------------------------------------------------------------------------------------ ids

/**
 * Numeric ids in Shopify's ranges. Each is a base plus the entity's index times a stride, so ids
 * are unique, grow with the index, and never need a counter shared across entities.
 */
const ID = {
  product: (i: number, jitter: number) => 7_400_000_000_000 + i * 1000 + jitter,
  variant: (i: number, k: number) => 42_100_000_000_000 + i * 16 + k,
  productImage: (i: number, k: number) => 31_200_000_000_000 + i * 16 + k,
  mediaImage: (i: number, k: number) => 23_300_000_000_000 + i * 16 + k,
  order: (j: number, jitter: number) => 5_600_000_000_000 + j * 10 + jitter,
  lineItem: (j: number, k: number) => 13_700_000_000_000 + j * 16 + k,
  refund: (j: number, r: number) => 890_000_000_000 + j * 8 + r,
  refundLineItem: (j: number, n: number) => 490_000_000_000 + j * 64 + n,
} as const;

export function gid(type: string, id: number): string {
  return `gid://shopify/${type}/${id}`;
}

// ------------------------------------------------------------------------------------ models

interface VariantModel {
  id: number;
  title: string;
  sku: string | null;
  priceCents: number;
  compareAtCents: number | null;
  inventoryQuantity: number;
  createdMs: number;
  updatedMs: number;
}

interface ImageModel {
  productImageId: number;
  mediaImageId: number;
  url: string;
  alt: string | null;
}

interface ProductModel {
  index: number;
  id: number;
  title: string;
  handle: string;
  vendor: string;
  productType: string;
  status: 'ACTIVE' | 'ARCHIVED' | 'DRAFT';
  tags: string[];
  createdMs: number;
  updatedMs: number;
  publishedMs: number | null;
  deletedMs: number | null;
  variants: VariantModel[];
  images: ImageModel[];
  /** Relative popularity; 0 = never sold. */
  weight: number;
}

interface LineModel {
  id: number;
  title: string;
  sku: string | null;
  quantity: number;
  productId: number | null;
  variantId: number | null;
  unitCents: number;
  discountCents: number;
}

interface RefundModel {
  id: number;
  createdMs: number;
  lines: { id: number; lineItemId: number; quantity: number; subtotalCents: number }[];
}

interface OrderModel {
  id: number;
  name: string;
  processedMs: number;
  createdMs: number;
  updatedMs: number;
  cancelledMs: number | null;
  test: boolean;
  financialStatus: string;
  fulfillmentStatus: string;
  subtotalCents: number;
  discountCents: number;
  taxCents: number;
  totalCents: number;
  lines: LineModel[];
  refunds: RefundModel[];
}

// ------------------------------------------------------------------------------------ vocabulary

const ADJECTIVES = ['Classic', 'Organic', 'Vintage', 'Everyday', 'Nordic', 'Café', 'Große', 'Eco', 'Deluxe', 'Tiny'];
const NOUNS = ['Tee', 'Hoodie', 'Mug', 'Tote Bag', 'Candle', 'Notebook', 'Beanie', 'Poster', 'Socks', 'Water Bottle'];
const VENDORS = ['Acme Goods', 'Studio Müller', 'Nordic Supply Co.', 'Little & Loud', ''];
const PRODUCT_TYPES = ['Apparel', 'Home', 'Stationery', 'Accessories', ''];
/** Mixed case, stray spaces and near-duplicates, as staff really type them (never a comma). */
const TAGS = [
  'Summer',
  'summer ',
  ' SALE',
  'sale',
  'New Arrival',
  'new arrival',
  'Best Seller',
  'Gift',
  'gift ',
  'Limited Edition',
  'Clearance',
  'Eco',
  'Handmade',
  'Café Collection',
];
const OPTION_VALUES = ['Small', 'Medium', 'Large', 'XL', 'Red', 'Blue', 'Black', 'Default Title'];
const CUSTOM_LINE_TITLES = ['Gift wrapping', 'Custom engraving', 'Rush handling'];
const ALT_TEXTS = [null, '', 'Front view', 'Detail shot', 'Lifestyle — on the shelf'];

function slug(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}

function money(cents: number): string {
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(cents);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

// ------------------------------------------------------------------------------------ options

interface ResolvedOptions {
  seed: number;
  products: number;
  orders: number;
  timezone: string;
  currency: string;
  shuffleChildren: boolean;
  firstDay: number;
  days: number;
  nearMidnightShare: number;
  escapeSlashes: boolean;
  /** First instant of firstDay and last second of the last day, shop-local. */
  windowStartMs: number;
  windowEndMs: number;
}

function resolveOptions(options: StoreOptions): ResolvedOptions {
  const wholeNumber = (name: string, value: number, min: number) => {
    if (!Number.isSafeInteger(value) || value < min) {
      throw new RangeError(`${name} must be a whole number ≥ ${min}, got ${value}`);
    }
  };
  wholeNumber('seed', options.seed, 0);
  wholeNumber('products', options.products, 0);
  wholeNumber('orders', options.orders, 0);
  if (options.orders > 10_000_000) throw new RangeError('orders must be at most 10,000,000');
  if (options.products > 1_000_000) throw new RangeError('products must be at most 1,000,000');
  const days = options.days ?? 90;
  wholeNumber('days', days, 1);
  const timezone = options.timezone ?? 'America/New_York';
  assertTimeZone(timezone);
  const currency = options.currency ?? 'USD';
  if (!/^[A-Z]{3}$/.test(currency)) throw new RangeError(`currency must be an ISO 4217 code, got ${currency}`);
  const nearMidnightShare = options.nearMidnightShare ?? 0.1;
  if (!(nearMidnightShare >= 0 && nearMidnightShare <= 1)) throw new RangeError('nearMidnightShare must be in [0, 1]');
  const firstDay =
    options.startDate !== undefined
      ? epochDayFromIsoDate(options.startDate)
      : localEpochDay(Date.now(), timezone) - days;
  return {
    seed: options.seed,
    products: options.products,
    orders: options.orders,
    timezone,
    currency,
    shuffleChildren: options.shuffleChildren ?? false,
    firstDay,
    days,
    nearMidnightShare,
    escapeSlashes: options.escapeSlashes ?? true,
    windowStartMs: localToUtcMs(firstDay, 0, timezone),
    windowEndMs: localToUtcMs(firstDay + days, 0, timezone) - 1000,
  };
}

// ------------------------------------------------------------------------------------ products

function randomTimeOfDay(random: Random): number {
  return random.int(0, MS_PER_DAY / 1000 - 1) * 1000;
}

function generateProduct(o: ResolvedOptions, i: number): ProductModel {
  const random = Random.for(o.seed, STREAMS.product, i);
  const id = ID.product(i, random.int(0, 999));
  const title = random.chance(0.05)
    ? `"${random.pick(ADJECTIVES)}" ${random.pick(NOUNS)} ${i + 1}`
    : `${random.pick(ADJECTIVES)} ${random.pick(NOUNS)} ${i + 1}`;
  // Most of the catalog predates the period; the rest is launched during it (NEW products).
  const launchedInPeriod = i >= Math.floor(o.products * 0.8);
  const createdDay = launchedInPeriod
    ? o.firstDay + Math.floor(((i - Math.floor(o.products * 0.8)) / Math.max(1, o.products * 0.2)) * o.days)
    : o.firstDay - random.int(1, 400);
  const createdMs = Math.min(localToUtcMs(createdDay, randomTimeOfDay(random), o.timezone), o.windowEndMs - 3600_000);
  const updatedMs = createdMs + Math.floor(random.next() * random.next() * (o.windowEndMs - createdMs));
  const statusRoll = random.next();
  const status = statusRoll < 0.85 ? 'ACTIVE' : statusRoll < 0.95 ? 'DRAFT' : 'ARCHIVED';
  const publishedMs = status === 'DRAFT' ? null : createdMs + random.int(0, 3600) * 1000;
  const deleted = random.chance(0.05) || (o.products >= 4 && i === Math.floor(o.products / 2));
  // Deleted during the second half of the period, after selling for a while (order lines keep the id).
  const periodMs = o.windowEndMs - o.windowStartMs;
  const deletedMs = deleted
    ? Math.min(Math.max(updatedMs + 60_000, o.windowStartMs + periodMs * (0.5 + random.next() / 2)), o.windowEndMs)
    : null;

  const tags: string[] = [];
  const tagCount = random.int(0, 5);
  for (let t = 0; t < tagCount; t++) tags.push(random.pick(TAGS));

  const basePriceCents = random.pick([500, 1200, 1999, 2450, 3500, 4999, 8900, 12000, 19999]);
  const variantCount = random.chance(0.3) ? 1 : random.int(2, 5);
  const variants: VariantModel[] = [];
  const handle = `${slug(title)}-${id % 100_000}`;
  for (let k = 0; k < variantCount; k++) {
    const priceCents = basePriceCents + (k === 0 ? 0 : random.pick([0, 0, 100, 250, -100]));
    variants.push({
      id: ID.variant(i, k),
      title: variantCount === 1 ? 'Default Title' : (OPTION_VALUES[k] ?? `Option ${k + 1}`),
      sku: random.chance(0.1) ? null : random.chance(0.05) ? '' : `SKU-${i + 1}-${k + 1}`,
      priceCents,
      compareAtCents: random.chance(0.3) ? Math.round((priceCents * 1.25) / 100) * 100 : null,
      inventoryQuantity: random.int(-3, 250),
      createdMs,
      updatedMs: createdMs + Math.floor(random.next() * (updatedMs - createdMs)),
    });
  }

  const imageCount = random.chance(0.15) ? 0 : random.int(1, 4);
  const images: ImageModel[] = [];
  for (let k = 0; k < imageCount; k++) {
    images.push({
      productImageId: ID.productImage(i, k),
      mediaImageId: ID.mediaImage(i, k),
      url: `https://cdn.shopify.com/s/files/1/0506/3521/0958/products/${handle}-${k + 1}.jpg?v=${Math.floor(createdMs / 1000) + k}`,
      alt: random.pick(ALT_TEXTS),
    });
  }

  const neverSold = status === 'DRAFT' || random.chance(0.1);
  const weight = neverSold ? 0 : 1 / (0.03 + random.next()) ** 1.5;
  return {
    index: i,
    id,
    title,
    handle,
    vendor: random.pick(VENDORS),
    productType: random.pick(PRODUCT_TYPES),
    status,
    tags,
    createdMs,
    updatedMs,
    publishedMs,
    deletedMs,
    variants,
    images,
    weight,
  };
}

/** What orders sell from: every product plus a cumulative popularity table for sampling. */
interface Catalog {
  products: ProductModel[];
  sellable: ProductModel[];
  cumulativeWeights: number[];
}

function buildCatalog(o: ResolvedOptions): Catalog {
  const products: ProductModel[] = [];
  for (let i = 0; i < o.products; i++) products.push(generateProduct(o, i));
  const sellable = products.filter((p) => p.weight > 0);
  const cumulativeWeights: number[] = [];
  let total = 0;
  for (const product of sellable) {
    total += product.weight;
    cumulativeWeights.push(total);
  }
  return { products, sellable, cumulativeWeights };
}

function sampleProduct(catalog: Catalog, random: Random): ProductModel | undefined {
  const total = catalog.cumulativeWeights.at(-1);
  if (total === undefined) return undefined;
  const target = random.next() * total;
  let low = 0;
  let high = catalog.cumulativeWeights.length - 1;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((catalog.cumulativeWeights[mid] ?? 0) > target) high = mid;
    else low = mid + 1;
  }
  return catalog.sellable[low];
}

// ------------------------------------------------------------------------------------ orders

function nextLocalMidnightMs(instantMs: number, timezone: string): number {
  return localToUtcMs(localEpochDay(instantMs, timezone) + 1, 0, timezone);
}

function generateOrder(o: ResolvedOptions, catalog: Catalog, j: number): OrderModel {
  const random = Random.for(o.seed, STREAMS.order, j);
  const id = ID.order(j, random.int(0, 9));
  // Orders spread evenly over the period, so ids and names grow with time like Shopify's.
  const day = o.firstDay + Math.floor((j * o.days) / Math.max(1, o.orders));
  let timeOfDay: number;
  if (random.chance(o.nearMidnightShare)) {
    // Within 20 minutes of local midnight, on either side of it.
    timeOfDay = random.chance(0.5) ? MS_PER_DAY - random.int(1, 1200) * 1000 : random.int(0, 1199) * 1000;
  } else {
    timeOfDay = randomTimeOfDay(random);
  }
  const processedMs = Math.min(localToUtcMs(day, timeOfDay, o.timezone), o.windowEndMs);
  // Imported orders: created in Shopify a day or so after they were processed elsewhere.
  const createdMs = random.chance(0.03)
    ? Math.min(processedMs + random.int(3600, 3 * 86_400) * 1000, o.windowEndMs)
    : processedMs;
  const test = random.chance(0.02);
  const cancelledMs = random.chance(0.03)
    ? Math.min(createdMs + random.int(600, 2 * 86_400) * 1000, o.windowEndMs)
    : null;

  const lineCount = random.pick([1, 1, 1, 2, 2, 3, 4]);
  const lines: LineModel[] = [];
  for (let k = 0; k < lineCount; k++) {
    let product: ProductModel | undefined;
    if (!random.chance(0.05)) {
      // A product sells only while it exists.
      for (let attempt = 0; attempt < 8 && !product; attempt++) {
        const candidate = sampleProduct(catalog, random);
        if (candidate && candidate.createdMs <= processedMs && (candidate.deletedMs ?? Infinity) > processedMs) {
          product = candidate;
        }
      }
    }
    const quantity = random.chance(0.7) ? 1 : random.chance(0.67) ? 2 : random.int(3, 6);
    if (product) {
      const variant = random.pick(product.variants);
      const unitCents = variant.priceCents;
      const discountCents = random.chance(0.25) ? Math.round((unitCents * quantity * random.int(5, 30)) / 100) : 0;
      lines.push({
        id: ID.lineItem(j, k),
        title: product.title,
        sku: variant.sku,
        quantity,
        productId: product.id,
        variantId: variant.id,
        unitCents,
        discountCents,
      });
    } else {
      // A custom line: no product, no variant.
      lines.push({
        id: ID.lineItem(j, k),
        title: random.pick(CUSTOM_LINE_TITLES),
        sku: null,
        quantity: 1,
        productId: null,
        variantId: null,
        unitCents: random.pick([300, 500, 1500]),
        discountCents: 0,
      });
    }
  }

  const grossCents = lines.reduce((sum, line) => sum + line.unitCents * line.quantity, 0);
  const discountCents = lines.reduce((sum, line) => sum + line.discountCents, 0);
  const subtotalCents = grossCents - discountCents;
  const taxCents = Math.round(subtotalCents * 0.08);
  const shippingCents = random.chance(0.4) ? 0 : 595;
  const totalCents = subtotalCents + taxCents + shippingCents;

  const refunds: RefundModel[] = [];
  const refundedByLine = new Map<number, number>();
  if (random.chance(cancelledMs === null ? 0.12 : 0.5)) {
    const refundCount = random.pick([1, 1, 1, 1, 2, 2, 3]);
    let previousMs = cancelledMs ?? createdMs;
    let refundLineIndex = 0;
    for (let r = 0; r < refundCount; r++) {
      const timing = random.next();
      let createdAt: number;
      if (timing < 0.35) createdAt = previousMs + random.int(300, 6 * 3600) * 1000;
      else if (timing < 0.75) createdAt = previousMs + random.int(1, 20) * MS_PER_DAY + random.int(0, 3600) * 1000;
      // Just after the next local midnight: the sale and the refund land on different local days.
      else createdAt = nextLocalMidnightMs(previousMs, o.timezone) + random.int(0, 1200) * 1000;
      if (createdAt > o.windowEndMs) break;
      const refundLines: RefundModel['lines'] = [];
      if (!random.chance(0.03)) {
        for (const line of lines) {
          const remaining = line.quantity - (refundedByLine.get(line.id) ?? 0);
          if (remaining <= 0 || !random.chance(lines.length === 1 ? 1 : 0.6)) continue;
          const quantity = random.int(1, remaining);
          refundedByLine.set(line.id, (refundedByLine.get(line.id) ?? 0) + quantity);
          const subtotalCents = Math.round(line.unitCents * quantity - (line.discountCents * quantity) / line.quantity);
          refundLines.push({
            id: ID.refundLineItem(j, refundLineIndex++),
            lineItemId: line.id,
            quantity,
            subtotalCents,
          });
        }
      }
      refunds.push({ id: ID.refund(j, r), createdMs: createdAt, lines: refundLines });
      previousMs = createdAt;
    }
  }

  const orderedUnits = lines.reduce((sum, line) => sum + line.quantity, 0);
  const refundedUnits = [...refundedByLine.values()].reduce((sum, quantity) => sum + quantity, 0);
  let financialStatus: string;
  if (refundedUnits > 0 && refundedUnits === orderedUnits) financialStatus = 'REFUNDED';
  else if (refunds.length > 0) financialStatus = 'PARTIALLY_REFUNDED';
  else if (cancelledMs !== null) financialStatus = 'VOIDED';
  else financialStatus = random.chance(0.95) ? 'PAID' : 'PENDING';
  const fulfillmentRoll = random.next();
  const fulfillmentStatus =
    cancelledMs !== null || fulfillmentRoll < 0.15
      ? 'UNFULFILLED'
      : fulfillmentRoll < 0.2
        ? 'PARTIALLY_FULFILLED'
        : 'FULFILLED';
  const updatedMs = Math.max(createdMs, cancelledMs ?? 0, ...refunds.map((refund) => refund.createdMs));

  return {
    id,
    name: `#${1001 + j}`,
    processedMs,
    createdMs,
    updatedMs,
    cancelledMs,
    test,
    financialStatus,
    fulfillmentStatus,
    subtotalCents,
    discountCents,
    taxCents,
    totalCents,
    lines,
    refunds,
  };
}

// ------------------------------------------------------------------------------------ JSON lines

function moneyBag(cents: number, currency: string) {
  return { shopMoney: { amount: money(cents), currencyCode: currency } };
}

function productRecords(p: ProductModel): { parent: object; children: object[] } {
  const productGid = gid('Product', p.id);
  const firstImage = p.images[0];
  const parent = {
    id: productGid,
    title: p.title,
    handle: p.handle,
    vendor: p.vendor,
    productType: p.productType,
    status: p.status,
    tags: p.tags,
    createdAt: shopifyTimestamp(p.createdMs),
    updatedAt: shopifyTimestamp(p.updatedMs),
    publishedAt: p.publishedMs === null ? null : shopifyTimestamp(p.publishedMs),
    featuredMedia: firstImage ? { id: gid('MediaImage', firstImage.mediaImageId) } : null,
  };
  const children: object[] = [];
  for (const v of p.variants) {
    children.push({
      id: gid('ProductVariant', v.id),
      title: v.title,
      sku: v.sku,
      price: money(v.priceCents),
      compareAtPrice: v.compareAtCents === null ? null : money(v.compareAtCents),
      inventoryQuantity: v.inventoryQuantity,
      createdAt: shopifyTimestamp(v.createdMs),
      updatedAt: shopifyTimestamp(v.updatedMs),
      __parentId: productGid,
    });
  }
  for (const image of p.images) {
    children.push({
      id: gid('MediaImage', image.mediaImageId),
      alt: image.alt,
      image: { id: gid('ProductImage', image.productImageId), url: image.url },
      __parentId: productGid,
    });
  }
  return { parent, children };
}

function orderRecords(order: OrderModel, currency: string): { parent: object; children: object[] } {
  const orderGid = gid('Order', order.id);
  const parent = {
    id: orderGid,
    name: order.name,
    processedAt: shopifyTimestamp(order.processedMs),
    createdAt: shopifyTimestamp(order.createdMs),
    updatedAt: shopifyTimestamp(order.updatedMs),
    cancelledAt: order.cancelledMs === null ? null : shopifyTimestamp(order.cancelledMs),
    test: order.test,
    currencyCode: currency,
    displayFinancialStatus: order.financialStatus,
    displayFulfillmentStatus: order.fulfillmentStatus,
    subtotalPriceSet: moneyBag(order.subtotalCents, currency),
    totalDiscountsSet: moneyBag(order.discountCents, currency),
    totalTaxSet: moneyBag(order.taxCents, currency),
    totalPriceSet: moneyBag(order.totalCents, currency),
    refunds: order.refunds.map((refund) => ({
      id: gid('Refund', refund.id),
      createdAt: shopifyTimestamp(refund.createdMs),
    })),
  };
  const children = order.lines.map((line) => ({
    id: gid('LineItem', line.id),
    title: line.title,
    sku: line.sku,
    quantity: line.quantity,
    product: line.productId === null ? null : { id: gid('Product', line.productId) },
    variant: line.variantId === null ? null : { id: gid('ProductVariant', line.variantId) },
    originalUnitPriceSet: moneyBag(line.unitCents, currency),
    totalDiscountSet: moneyBag(line.discountCents, currency),
    __parentId: orderGid,
  }));
  return { parent, children };
}

function refundRecords(order: OrderModel, currency: string): object[] {
  return order.refunds.map((refund) => ({
    id: gid('Refund', refund.id),
    createdAt: shopifyTimestamp(refund.createdMs),
    order: { id: gid('Order', order.id) },
    refundLineItems: {
      nodes: refund.lines.map((line) => ({
        id: gid('RefundLineItem', line.id),
        quantity: line.quantity,
        lineItem: { id: gid('LineItem', line.lineItemId) },
        subtotalSet: moneyBag(line.subtotalCents, currency),
      })),
    },
  }));
}

function legacyProduct(p: ProductModel): LegacyProduct {
  return {
    id: p.id,
    title: p.title,
    handle: p.handle,
    vendor: p.vendor,
    product_type: p.productType,
    status: p.status.toLowerCase() as LegacyProduct['status'],
    // REST joins tags with ", "; normalize_tags splits, trims, lower-cases and de-duplicates.
    tags: p.tags.join(', '),
    created_at: shopifyTimestamp(p.createdMs),
    updated_at: shopifyTimestamp(p.updatedMs),
    published_at: p.publishedMs === null ? null : shopifyTimestamp(p.publishedMs),
    variants: p.variants.map((v) => ({
      id: v.id,
      product_id: p.id,
      title: v.title,
      sku: v.sku,
      price: money(v.priceCents),
      compare_at_price: v.compareAtCents === null ? null : money(v.compareAtCents),
      inventory_quantity: v.inventoryQuantity,
      created_at: shopifyTimestamp(v.createdMs),
      updated_at: shopifyTimestamp(v.updatedMs),
    })),
    images: p.images.map((image, k) => ({
      id: image.productImageId,
      product_id: p.id,
      src: image.url,
      alt: image.alt,
      position: k + 1,
    })),
  };
}

function legacyOrder(order: OrderModel, currency: string): LegacyOrder {
  return {
    id: order.id,
    name: order.name,
    processed_at: shopifyTimestamp(order.processedMs),
    created_at: shopifyTimestamp(order.createdMs),
    updated_at: shopifyTimestamp(order.updatedMs),
    cancelled_at: order.cancelledMs === null ? null : shopifyTimestamp(order.cancelledMs),
    currency,
    financial_status: order.financialStatus.toLowerCase(),
    fulfillment_status: order.fulfillmentStatus.toLowerCase(),
    subtotal_price: money(order.subtotalCents),
    total_discounts: money(order.discountCents),
    total_tax: money(order.taxCents),
    total_price: money(order.totalCents),
    test: order.test,
    line_items: order.lines.map((line) => ({
      id: line.id,
      product_id: line.productId,
      variant_id: line.variantId,
      title: line.title,
      sku: line.sku,
      quantity: line.quantity,
      price: money(line.unitCents),
      total_discount: money(line.discountCents),
    })),
    refunds: order.refunds.map((refund) => ({
      id: refund.id,
      created_at: shopifyTimestamp(refund.createdMs),
      refund_line_items: refund.lines.map((line) => ({
        id: line.id,
        line_item_id: line.lineItemId,
        quantity: line.quantity,
        subtotal: money(line.subtotalCents),
      })),
    })),
  };
}

// ------------------------------------------------------------------------------------ streaming

const SHUFFLE_WINDOW = 48;
/** Lines held back to the end of the file (children long after, or long before, their parent). */
const MAX_DEFERRED = 20_000;

/**
 * Shopify's output order without groupObjects: a child may come before or after its parent, near
 * it or far away. A small random window reorders neighbours; a few lines (parents or children)
 * are held back to the end of the file. Memory stays bounded by the window and the cap.
 */
class Scatterer {
  private readonly window: string[] = [];
  private readonly deferred: string[] = [];
  private readonly random: Random;

  constructor(random: Random) {
    this.random = random;
  }

  private takeRandom(items: string[]): string {
    const index = Math.floor(this.random.next() * items.length);
    const item = items[index] as string;
    items[index] = items[items.length - 1] as string;
    items.pop();
    return item;
  }

  /** Takes a line; returns the line to write now, if any. */
  push(line: string): string | undefined {
    if (this.deferred.length < MAX_DEFERRED && this.random.chance(0.01)) {
      this.deferred.push(line);
      return undefined;
    }
    this.window.push(line);
    return this.window.length >= SHUFFLE_WINDOW ? this.takeRandom(this.window) : undefined;
  }

  *drain(): Generator<string> {
    while (this.window.length > 0) yield this.takeRandom(this.window);
    while (this.deferred.length > 0) yield this.takeRandom(this.deferred);
  }
}

function* scatter(lines: Iterable<string>, random: Random): Generator<string> {
  const scatterer = new Scatterer(random);
  for (const line of lines) {
    const out = scatterer.push(line);
    if (out !== undefined) yield out;
  }
  yield* scatterer.drain();
}

function* splitMediaBlocks(items: Iterable<string>): Generator<string> {
  for (const item of items) yield* item.split('\n');
}

/** Streams the store of `options` lazily; nothing but the product catalog is kept in memory. */
export function generateStoreStream(options: StoreOptions): StoreStream {
  const o = resolveOptions(options);
  let catalog: Catalog | undefined;
  const getCatalog = () => {
    catalog ??= buildCatalog(o);
    return catalog;
  };
  const serialize = (record: object): string => {
    const json = JSON.stringify(record);
    return o.escapeSlashes ? json.replaceAll('/', '\\/') : json;
  };
  function* orders(): Generator<OrderModel> {
    const c = getCatalog();
    for (let j = 0; j < o.orders; j++) yield generateOrder(o, c, j);
  }
  function* productRecordLines(): Generator<string> {
    for (const product of getCatalog().products) {
      const { parent, children } = productRecords(product);
      yield serialize(parent);
      // A product's media travel as one block, so shuffling keeps them in position order: the
      // fixture format promises it, and the loader takes a MediaImage's position from it.
      const media: string[] = [];
      for (const child of children) {
        if ('image' in child) media.push(serialize(child));
        else yield serialize(child);
      }
      if (media.length > 0) yield media.join('\n');
    }
  }
  function* orderRecordLines(): Generator<string> {
    for (const order of orders()) {
      const { parent, children } = orderRecords(order, o.currency);
      yield serialize(parent);
      for (const child of children) yield serialize(child);
    }
  }
  const shopSlug = `generated-store-${o.seed}`;
  return {
    shop: {
      name: `Generated Store ${o.seed}`,
      myshopifyDomain: `${shopSlug}.myshopify.com`,
      ianaTimezone: o.timezone,
      currencyCode: o.currency,
    },
    period: { firstDate: isoDateFromEpochDay(o.firstDay), lastDate: isoDateFromEpochDay(o.firstDay + o.days - 1) },
    productLines() {
      return splitMediaBlocks(
        o.shuffleChildren
          ? scatter(productRecordLines(), Random.for(o.seed, STREAMS.shuffleProducts, 0))
          : productRecordLines(),
      );
    },
    orderLines() {
      return o.shuffleChildren
        ? scatter(orderRecordLines(), Random.for(o.seed, STREAMS.shuffleOrders, 0))
        : orderRecordLines();
    },
    *refundLines() {
      for (const order of orders()) for (const refund of refundRecords(order, o.currency)) yield serialize(refund);
    },
    *deletionLines() {
      const deleted = getCatalog()
        .products.filter((p) => p.deletedMs !== null)
        .sort((a, b) => (a.deletedMs ?? 0) - (b.deletedMs ?? 0) || a.id - b.id);
      for (const p of deleted) {
        yield serialize({
          subjectType: 'PRODUCT',
          subjectId: gid('Product', p.id),
          action: 'destroy',
          createdAt: shopifyTimestamp(p.deletedMs ?? 0),
        });
      }
    },
    *legacyProducts() {
      for (const product of getCatalog().products) yield legacyProduct(product);
    },
    *legacyOrders() {
      for (const order of orders()) yield legacyOrder(order, o.currency);
    },
    *orderFiles() {
      const scatterer = o.shuffleChildren ? new Scatterer(Random.for(o.seed, STREAMS.shuffleOrders, 0)) : undefined;
      for (const order of orders()) {
        const { parent, children } = orderRecords(order, o.currency);
        for (const record of [parent, ...children]) {
          const line = scatterer ? scatterer.push(serialize(record)) : serialize(record);
          if (line !== undefined) yield { file: 'orders', line };
        }
        for (const refund of refundRecords(order, o.currency)) yield { file: 'refunds', line: serialize(refund) };
        yield { file: 'legacyOrders', order: legacyOrder(order, o.currency) };
      }
      if (scatterer) for (const line of scatterer.drain()) yield { file: 'orders', line };
    },
    deletedProductIds() {
      return getCatalog()
        .products.filter((p) => p.deletedMs !== null)
        .map((p) => p.id);
    },
  };
}

/** The whole store in memory: for tests and small fixtures (use generateStoreStream for big ones). */
export function generateStore(options: StoreOptions): GeneratedStore {
  const stream = generateStoreStream(options);
  return {
    shop: stream.shop,
    period: stream.period,
    fixture: {
      products: [...stream.productLines()],
      orders: [...stream.orderLines()],
      refunds: [...stream.refundLines()],
      deletions: [...stream.deletionLines()],
    },
    legacy: {
      products: [...stream.legacyProducts()],
      orders: [...stream.legacyOrders()],
      deletedProductIds: stream.deletedProductIds(),
    },
  };
}
