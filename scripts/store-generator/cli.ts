/**
 * `npm run ingest:generate -- --products N --orders M --seed S [--timezone TZ] [--currency C]
 *   [--days D] [--start-date YYYY-MM-DD] [--shuffle-children] [--legacy auto|json|jsonl] <out-folder>`
 *
 * Writes a deterministic store fixture folder (see fixture-folder.ts) and prints a JSON summary.
 */
import { parseArgs } from 'node:util';
import { writeStoreFixture } from './fixture-folder.ts';

const USAGE =
  'usage: npm run ingest:generate -- --products N --orders M --seed S [--timezone TZ] [--currency CUR] ' +
  '[--days D] [--start-date YYYY-MM-DD] [--shuffle-children] [--legacy auto|json|jsonl] <out-folder>';

function wholeNumber(name: string, value: string | undefined, fallback?: number): number {
  if (value === undefined) {
    if (fallback !== undefined) return fallback;
    throw new Error(`--${name} is required`);
  }
  if (!/^\d+$/.test(value)) throw new Error(`--${name} must be a whole number, got ${JSON.stringify(value)}`);
  return Number(value);
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      products: { type: 'string' },
      orders: { type: 'string' },
      seed: { type: 'string' },
      timezone: { type: 'string' },
      currency: { type: 'string' },
      days: { type: 'string' },
      'start-date': { type: 'string' },
      'shuffle-children': { type: 'boolean', default: false },
      legacy: { type: 'string', default: 'auto' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const [outDir, ...extra] = positionals;
  if (!outDir || extra.length > 0) throw new Error('exactly one <out-folder> is required');
  const legacy = values.legacy;
  if (legacy !== 'auto' && legacy !== 'json' && legacy !== 'jsonl')
    throw new Error('--legacy must be auto, json or jsonl');
  const started = performance.now();
  const written = await writeStoreFixture(
    outDir,
    {
      seed: wholeNumber('seed', values.seed, 1),
      products: wholeNumber('products', values.products),
      orders: wholeNumber('orders', values.orders),
      timezone: values.timezone,
      currency: values.currency,
      days: values.days === undefined ? undefined : wholeNumber('days', values.days),
      startDate: values['start-date'],
      shuffleChildren: values['shuffle-children'],
    },
    legacy,
  );
  console.log(JSON.stringify({ ...written, seconds: Math.round(performance.now() - started) / 1000 }, null, 2));
}

main().catch((error: unknown) => {
  console.error(`ingest:generate: ${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
  process.exitCode = 1;
});
