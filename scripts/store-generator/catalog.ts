/**
 * The product catalog: every product of the store, generated from its own random stream, and the
 * popularity table orders sample from. The only part of a store the generator keeps in memory.
 */

import {
  ID,
  type ImageModel,
  type ProductModel,
  type ResolvedOptions,
  randomTimeOfDay,
  type VariantModel,
} from './model.ts';
import { Random, STREAMS } from './random.ts';
import { localToUtcMs } from './zoned-time.ts';

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
const ALT_TEXTS = [null, '', 'Front view', 'Detail shot', 'Lifestyle — on the shelf'];

function slug(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
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
export interface Catalog {
  products: ProductModel[];
  sellable: ProductModel[];
  cumulativeWeights: number[];
}

export function buildCatalog(o: ResolvedOptions): Catalog {
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

export function sampleProduct(catalog: Catalog, random: Random): ProductModel | undefined {
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
