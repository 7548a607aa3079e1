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

/** Writes lines to a file with backpressure, batching small lines into larger writes. */
async function writeLines(path: string, lines: Iterable<string>): Promise<{ lines: number; bytes: number }> {
  const out = createWriteStream(path);
  let count = 0;
  let bytes = 0;
  let batch: string[] = [];
  let batchLength = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    const chunk = batch.join('');
    batch = [];
    batchLength = 0;
    if (!out.write(chunk)) await once(out, 'drain');
  };
  try {
    for (const line of lines) {
      const text = `${line}\n`;
      batch.push(text);
      batchLength += text.length;
      bytes += Buffer.byteLength(text);
      count++;
      if (batchLength >= 1 << 16) await flush();
    }
    await flush();
  } finally {
    out.end();
    await once(out, 'close');
  }
  return { lines: count, bytes };
}

function* asJsonLines(values: Iterable<object>): Generator<string> {
  for (const value of values) yield JSON.stringify(value);
}

export async function writeStoreFixture(
  dir: string,
  options: StoreOptions,
  legacyFormat: 'auto' | 'json' | 'jsonl' = 'auto',
): Promise<WrittenFixture> {
  const stream = generateStoreStream(options);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'shop.json'), `${JSON.stringify(stream.shop, null, 2)}\n`);
  const sources: Record<FixtureResource, () => Iterable<string>> = {
    products: () => stream.productLines(),
    orders: () => stream.orderLines(),
    refunds: () => stream.refundLines(),
    deletions: () => stream.deletionLines(),
  };
  const lines = {} as Record<FixtureResource, number>;
  const bytes = {} as Record<FixtureResource, number>;
  for (const resource of Object.keys(FIXTURE_FILES) as FixtureResource[]) {
    const written = await writeLines(join(dir, FIXTURE_FILES[resource]), sources[resource]());
    lines[resource] = written.lines;
    bytes[resource] = written.bytes;
  }
  const asJson = legacyFormat === 'json' || (legacyFormat === 'auto' && options.orders <= LEGACY_JSON_MAX_ORDERS);
  if (asJson) {
    const legacy = {
      products: [...stream.legacyProducts()],
      orders: [...stream.legacyOrders()],
      deletedProductIds: stream.deletedProductIds(),
    };
    await writeFile(join(dir, 'legacy-rest.json'), JSON.stringify(legacy));
  } else {
    await mkdir(join(dir, 'legacy'), { recursive: true });
    await writeLines(join(dir, 'legacy', 'products.jsonl'), asJsonLines(stream.legacyProducts()));
    await writeLines(join(dir, 'legacy', 'orders.jsonl'), asJsonLines(stream.legacyOrders()));
    await writeFile(join(dir, 'legacy', 'deleted-product-ids.json'), JSON.stringify(stream.deletedProductIds()));
  }
  return { dir, lines, bytes, legacy: asJson ? 'legacy-rest.json' : 'legacy/' };
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
