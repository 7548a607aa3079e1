/**
 * A store fixture folder on disk (Node only): the generator's output written as files, streamed so
 * a 200k-order (or 1 GB) store is written in constant memory, and read back for the legacy side.
 *
 *   shop.json, products.jsonl, orders.jsonl, refunds.jsonl, deletions.jsonl   (fixture format)
 *   legacy-rest.json                    {products, orders, deletedProductIds} for small stores, or
 *   legacy/products.jsonl, legacy/orders.jsonl, legacy/deleted-product-ids.json  for big ones
 */
import { once } from 'node:events';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import {
  FIXTURE_FILES,
  type FixtureResource,
  generateStoreStream,
  type LegacyOrder,
  type LegacyProduct,
  type StoreOptions,
} from './generate.ts';

/** Above this many orders the legacy shape is written as JSON lines instead of one JSON file. */
export const LEGACY_JSON_MAX_ORDERS = 20_000;

export interface WrittenFixture {
  dir: string;
  lines: Record<FixtureResource, number>;
  bytes: Record<FixtureResource, number>;
  legacy: 'legacy-rest.json' | 'legacy/';
}

/** A file written line by line with backpressure, small lines batched into larger writes. */
class LineFile {
  private readonly out: ReturnType<typeof createWriteStream>;
  private batch: string[] = [];
  private batchLength = 0;
  lines = 0;
  bytes = 0;

  constructor(path: string) {
    this.out = createWriteStream(path);
  }

  async write(line: string): Promise<void> {
    const text = `${line}\n`;
    this.batch.push(text);
    this.batchLength += text.length;
    this.bytes += Buffer.byteLength(text);
    this.lines++;
    if (this.batchLength >= 1 << 16) await this.flush();
  }

  private async flush(): Promise<void> {
    if (this.batch.length === 0) return;
    const chunk = this.batch.join('');
    this.batch = [];
    this.batchLength = 0;
    if (!this.out.write(chunk)) await once(this.out, 'drain');
  }

  async close(): Promise<{ lines: number; bytes: number }> {
    await this.flush();
    this.out.end();
    await once(this.out, 'close');
    return { lines: this.lines, bytes: this.bytes };
  }
}

async function writeLines(path: string, lines: Iterable<string>): Promise<{ lines: number; bytes: number }> {
  const file = new LineFile(path);
  for (const line of lines) await file.write(line);
  return file.close();
}

export async function writeStoreFixture(
  dir: string,
  options: StoreOptions,
  legacyFormat: 'auto' | 'json' | 'jsonl' = 'auto',
): Promise<WrittenFixture> {
  const stream = generateStoreStream(options);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'shop.json'), `${JSON.stringify(stream.shop, null, 2)}\n`);
  const products = await writeLines(join(dir, FIXTURE_FILES.products), stream.productLines());
  const deletions = await writeLines(join(dir, FIXTURE_FILES.deletions), stream.deletionLines());

  const asJson = legacyFormat === 'json' || (legacyFormat === 'auto' && options.orders <= LEGACY_JSON_MAX_ORDERS);
  if (!asJson) await mkdir(join(dir, 'legacy'), { recursive: true });
  // Orders, refunds and legacy orders come from one pass over the orders (each generated once).
  const ordersFile = new LineFile(join(dir, FIXTURE_FILES.orders));
  const refundsFile = new LineFile(join(dir, FIXTURE_FILES.refunds));
  const legacyOrdersFile = asJson ? undefined : new LineFile(join(dir, 'legacy', 'orders.jsonl'));
  const legacyOrders: LegacyOrder[] = [];
  for (const item of stream.orderFiles()) {
    switch (item.file) {
      case 'orders':
        await ordersFile.write(item.line);
        break;
      case 'refunds':
        await refundsFile.write(item.line);
        break;
      case 'legacyOrders':
        if (legacyOrdersFile) await legacyOrdersFile.write(JSON.stringify(item.order));
        else legacyOrders.push(item.order);
    }
  }
  const orders = await ordersFile.close();
  const refunds = await refundsFile.close();
  await legacyOrdersFile?.close();

  if (asJson) {
    const legacy = {
      products: [...stream.legacyProducts()],
      orders: legacyOrders,
      deletedProductIds: stream.deletedProductIds(),
    };
    await writeFile(join(dir, 'legacy-rest.json'), JSON.stringify(legacy));
  } else {
    await writeLines(join(dir, 'legacy', 'products.jsonl'), asJsonLines(stream.legacyProducts()));
    await writeFile(join(dir, 'legacy', 'deleted-product-ids.json'), JSON.stringify(stream.deletedProductIds()));
  }
  return {
    dir,
    lines: { products: products.lines, orders: orders.lines, refunds: refunds.lines, deletions: deletions.lines },
    bytes: { products: products.bytes, orders: orders.bytes, refunds: refunds.bytes, deletions: deletions.bytes },
    legacy: asJson ? 'legacy-rest.json' : 'legacy/',
  };
}

function* asJsonLines(values: Iterable<object>): Generator<string> {
  for (const value of values) yield JSON.stringify(value);
}

async function* readJsonLines<T>(path: string): AsyncGenerator<T> {
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  for await (const line of lines) if (line.trim() !== '') yield JSON.parse(line) as T;
}

/** The legacy REST shape of a fixture folder, whichever of the two layouts it was written in. */
export interface LegacyFolder {
  products(): AsyncGenerator<LegacyProduct>;
  orders(): AsyncGenerator<LegacyOrder>;
  deletedProductIds(): Promise<number[]>;
}

export function readLegacyStore(dir: string): LegacyFolder {
  const single = join(dir, 'legacy-rest.json');
  if (existsSync(single)) {
    let parsed: Promise<{ products: LegacyProduct[]; orders: LegacyOrder[]; deletedProductIds: number[] }> | undefined;
    const load = () => {
      parsed ??= readFile(single, 'utf8').then((text) => JSON.parse(text));
      return parsed;
    };
    return {
      async *products() {
        yield* (await load()).products;
      },
      async *orders() {
        yield* (await load()).orders;
      },
      async deletedProductIds() {
        return (await load()).deletedProductIds;
      },
    };
  }
  return {
    products: () => readJsonLines<LegacyProduct>(join(dir, 'legacy', 'products.jsonl')),
    orders: () => readJsonLines<LegacyOrder>(join(dir, 'legacy', 'orders.jsonl')),
    async deletedProductIds() {
      return JSON.parse(await readFile(join(dir, 'legacy', 'deleted-product-ids.json'), 'utf8'));
    },
  };
}
