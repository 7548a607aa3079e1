/**
 * Where the simulator's store comes from: a fixture folder on disk (streamed, any size), an
 * in-memory GeneratedStore, or generator options (small stores generated in memory, big ones
 * streamed line by line from the generator, never materialised).
 */
import { createReadStream, existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { readLegacyStore } from '../store-generator/fixture-folder.ts';
import {
  FIXTURE_FILES,
  type FixtureResource,
  type GeneratedStore,
  generateStore,
  generateStoreStream,
  type LegacyOrder,
  type LegacyProduct,
  type ShopInfo,
  type StoreFixture,
  type StoreOptions,
} from '../store-generator/generate.ts';

/** The shop a fixture folder without shop.json (e.g. shared/fixtures/shopify-real) is served as. */
export const DEFAULT_SHOP: ShopInfo = {
  name: 'Simulated Shop',
  myshopifyDomain: 'simulated-shop.myshopify.com',
  ianaTimezone: 'UTC',
  currencyCode: 'USD',
};

export interface StoreSource {
  readonly shop: ShopInfo;
  /** Where it came from, for logs and the control API. */
  readonly description: string;
  lines(resource: FixtureResource): AsyncIterable<string>;
  /** The file a resource is read from, when it is one (served byte for byte, with its size). */
  filePath(resource: FixtureResource): string | undefined;
  /** REST payloads for webhooks (products/update, orders/updated), when the store has them. */
  legacyProduct(id: string): Promise<LegacyProduct | undefined>;
  legacyOrder(id: string): Promise<LegacyOrder | undefined>;
}

async function* fromArray(lines: readonly string[]): AsyncGenerator<string> {
  yield* lines;
}

async function* fromIterable(lines: Iterable<string>): AsyncGenerator<string> {
  yield* lines;
}

export function storeFromFixture(
  shop: ShopInfo,
  fixture: Partial<StoreFixture>,
  legacy?: GeneratedStore['legacy'],
  description = 'in-memory store',
): StoreSource {
  const products = new Map(legacy?.products.map((p) => [String(p.id), p]));
  const orders = new Map(legacy?.orders.map((o) => [String(o.id), o]));
  return {
    shop,
    description,
    lines: (resource) => fromArray(fixture[resource] ?? []),
    filePath: () => undefined,
    legacyProduct: async (id) => products.get(id),
    legacyOrder: async (id) => orders.get(id),
  };
}

export function storeFromGenerated(store: GeneratedStore): StoreSource {
  return storeFromFixture(store.shop, store.fixture, store.legacy, `generated store ${store.shop.myshopifyDomain}`);
}

/** Above this many orders the generator is streamed instead of held in memory. */
const IN_MEMORY_MAX_ORDERS = 20_000;

export function storeFromGeneratorOptions(options: StoreOptions): StoreSource {
  if (options.orders <= IN_MEMORY_MAX_ORDERS) return storeFromGenerated(generateStore(options));
  const stream = generateStoreStream(options);
  const lines: Record<FixtureResource, () => Iterable<string>> = {
    products: () => stream.productLines(),
    orders: () => stream.orderLines(),
    refunds: () => stream.refundLines(),
    deletions: () => stream.deletionLines(),
  };
  const find = async <T extends { id: number }>(items: Iterable<T>, id: string) => {
    for (const item of items) if (String(item.id) === id) return item;
    return undefined;
  };
  return {
    shop: stream.shop,
    description: `streamed generator store (seed ${options.seed}, ${options.orders} orders)`,
    lines: (resource) => fromIterable(lines[resource]()),
    filePath: () => undefined,
    legacyProduct: (id) => find(stream.legacyProducts(), id),
    legacyOrder: (id) => find(stream.legacyOrders(), id),
  };
}

async function* fileLines(path: string): AsyncGenerator<string> {
  const reader = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  for await (const line of reader) if (line !== '') yield line;
}

export async function storeFromFixtureDir(dir: string): Promise<StoreSource> {
  const root = resolve(dir);
  if (!(await stat(root)).isDirectory()) throw new Error(`not a fixture folder: ${root}`);
  const shopFile = join(root, 'shop.json');
  const shop = existsSync(shopFile) ? (JSON.parse(await readFile(shopFile, 'utf8')) as ShopInfo) : DEFAULT_SHOP;
  const hasLegacy = existsSync(join(root, 'legacy-rest.json')) || existsSync(join(root, 'legacy'));
  const legacy = hasLegacy ? readLegacyStore(root) : undefined;
  const find = async <T extends { id: number }>(items: AsyncIterable<T> | undefined, id: string) => {
    if (!items) return undefined;
    for await (const item of items) if (String(item.id) === id) return item;
    return undefined;
  };
  const path = (resource: FixtureResource) => {
    const file = join(root, FIXTURE_FILES[resource]);
    return existsSync(file) ? file : undefined;
  };
  return {
    shop,
    description: `fixture folder ${root}`,
    lines: (resource) => {
      const file = path(resource);
      return file ? fileLines(file) : fromArray([]);
    },
    filePath: path,
    legacyProduct: (id) => find(legacy?.products(), id),
    legacyOrder: (id) => find(legacy?.orders(), id),
  };
}
