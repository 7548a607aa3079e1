/**
 * Orders: each generated from its own random stream (its day follows its index, so ids and names
 * grow with time), selling from the catalog; its refunds come from refunds.ts.
 */
import { type Catalog, sampleProduct } from './catalog.ts';
import {
  ID,
  type LineModel,
  type OrderModel,
  type ProductModel,
  type ResolvedOptions,
  randomTimeOfDay,
} from './model.ts';
import { Random, STREAMS } from './random.ts';
import { generateRefunds } from './refunds.ts';
import { localToUtcMs, MS_PER_DAY } from './zoned-time.ts';

const CUSTOM_LINE_TITLES = ['Gift wrapping', 'Custom engraving', 'Rush handling'];

export function generateOrder(o: ResolvedOptions, catalog: Catalog, j: number): OrderModel {
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

  const { refunds, refundedUnits } = generateRefunds(o, random, j, lines, { createdMs, cancelledMs });

  const orderedUnits = lines.reduce((sum, line) => sum + line.quantity, 0);
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
