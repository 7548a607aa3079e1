/**
 * The generator's internal model: Shopify-range ids, the product and order models the JSON lines
 * and REST resources are written from, and the options resolved once per store.
 */
import type { Random } from './random.ts';
import type { StoreOptions } from './store-shapes.ts';
import { assertTimeZone, epochDayFromIsoDate, localEpochDay, localToUtcMs, MS_PER_DAY } from './zoned-time.ts';

/**
 * Numeric ids in Shopify's ranges. Each is a base plus the entity's index times a stride, so ids
 * are unique, grow with the index, and never need a counter shared across entities.
 */
export const ID = {
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

export interface VariantModel {
  id: number;
  title: string;
  sku: string | null;
  priceCents: number;
  compareAtCents: number | null;
  inventoryQuantity: number;
  createdMs: number;
  updatedMs: number;
}

export interface ImageModel {
  productImageId: number;
  mediaImageId: number;
  url: string;
  alt: string | null;
}

export interface ProductModel {
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

export interface LineModel {
  id: number;
  title: string;
  sku: string | null;
  quantity: number;
  productId: number | null;
  variantId: number | null;
  unitCents: number;
  discountCents: number;
}

export interface RefundModel {
  id: number;
  createdMs: number;
  lines: { id: number; lineItemId: number; quantity: number; subtotalCents: number }[];
}

export interface OrderModel {
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

export function money(cents: number): string {
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(cents);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

export function randomTimeOfDay(random: Random): number {
  return random.int(0, MS_PER_DAY / 1000 - 1) * 1000;
}

export interface ResolvedOptions {
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

export function resolveOptions(options: StoreOptions): ResolvedOptions {
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
