/**
 * `npm run bench:first-sync -- [--dir <fixture-folder> | --orders 200000 --products 2000 --seed 7]
 *   [--timeout 3600] [--results bench/first-sync.json]`
 *
 * The first full sync through the real path: `npm run ingest:fixture` (the simulator at Shopify's
 * cost model, the ingest Worker under wrangler dev, Postgres) into a fresh scratch database, and
 * its wall time next to the rate-limit bound: Σ actual query cost ÷ restore rate (as the simulator
 * counted them) + the load time. Postgres: a scratch database on the DATABASE_URL server, else a
 * throwaway embedded one (scripts/bench/scratch-databases.ts). Progress goes to stderr.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { PROJECT_ROOT } from '../lib/migrations.ts';
import { writeStoreFixture } from '../store-generator/fixture-folder.ts';
import { openScratchDatabases, type ScratchDatabases } from './scratch-databases.ts';

const USAGE = `usage: npm run bench:first-sync -- [--dir <fixture-folder> | --orders 200000 --products 2000 --seed 7]
  [--timeout 3600] [--results bench/first-sync.json]`;

const log = (message: string) => console.error(`[bench:first-sync] ${message}`);

/** What one first full sync measured (the figures of `npm run ingest:fixture`). */
export interface FirstSyncBench {
  status: string;
  phases: Record<string, number | null>;
  shopify_cost: {
    queries: number;
    requested_query_cost: number;
    actual_query_cost: number;
    throttled: number;
    restore_rate: number;
    maximum_available: number;
  };
  rate_limit_bound: {
    bucket_seconds: number;
    load_seconds: number;
    seconds: number;
    wall_seconds: number | null;
    ratio: number | null;
    ratio_with_marts: number | null;
  };
  tables: Record<string, number>;
}

/** Runs `ingest:fixture` on the folder into a fresh scratch database; its figures. */
export async function benchFirstSync(
  scratch: ScratchDatabases,
  input: { dir: string; timeoutSeconds: number; log?: (message: string) => void },
): Promise<FirstSyncBench> {
  const databaseUrl = await scratch.create('new', 'first_sync');
  try {
    input.log?.(`npm run ingest:fixture -- ${input.dir} --timeout ${input.timeoutSeconds}`);
    const child = spawn(
      process.execPath,
      [join(PROJECT_ROOT, 'scripts/ingest-fixture.ts'), input.dir, '--timeout', String(input.timeoutSeconds)],
      { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, DATABASE_URL: databaseUrl } },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += String(chunk);
    });
    const code = await new Promise<number>((done) => child.on('exit', (exitCode) => done(exitCode ?? 1)));
    if (!output.trim()) throw new Error(`ingest:fixture printed no summary (exit ${code})`);
    const summary = JSON.parse(output) as FirstSyncBench & { sync: { status: string } };
    return {
      status: summary.sync.status,
      phases: summary.phases,
      shopify_cost: summary.shopify_cost,
      rate_limit_bound: summary.rate_limit_bound,
      tables: summary.tables,
    };
  } finally {
    await scratch.drop(databaseUrl);
  }
}

/** The BENCHMARKS.md section: wall time against the rate-limit bound, and the phases. */
export function renderFirstSyncMarkdown(bench: FirstSyncBench, orders: number): string {
  const bound = bench.rate_limit_bound;
  const cost = bench.shopify_cost;
  const n = (value: number | string | null | undefined) =>
    typeof value === 'number' ? value.toLocaleString('en-US') : (value ?? '?');
  const phases = Object.entries(bench.phases)
    .map(([phase, seconds]) => `| ${phase.replaceAll('_', ' ')} | ${seconds ?? '–'} |`)
    .join('\n');
  return `
## First full sync

\`npm run ingest:fixture\` (simulator → ingest Worker under wrangler dev → Postgres), ${n(orders)} orders,
${n(bench.tables.act_of_refund)} refunds: sync ${bench.status}. Target: wall time within 1.5× of the rate-limit bound.

| figure | value |
|---|---|
| wall time | ${n(bound.wall_seconds)} s |
| rate-limit bound = Σ actual cost ÷ restore rate + load time | ${n(bound.seconds)} s = ${n(cost.actual_query_cost)} ÷ ${n(cost.restore_rate)}/s (${n(bound.bucket_seconds)} s) + ${n(bound.load_seconds)} s |
| ratio (goal ≤ 1.5) | **${bound.ratio}** ${bound.ratio !== null && bound.ratio <= 1.5 ? 'met' : 'missed'} (${bound.ratio_with_marts} counting the marts refresh as load time) |
| queries / Σ requested cost / THROTTLED | ${n(cost.queries)} / ${n(cost.requested_query_cost)} / ${n(cost.throttled)} |

| phase | seconds |
|---|---|
${phases}
`;
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      dir: { type: 'string' },
      orders: { type: 'string', default: '200000' },
      products: { type: 'string', default: '2000' },
      seed: { type: 'string', default: '7' },
      timeout: { type: 'string', default: '3600' },
      results: { type: 'string', default: join(PROJECT_ROOT, 'bench/first-sync.json') },
    },
  });
  const scratch = await openScratchDatabases();
  let generated: string | undefined;
  try {
    let folder = values.dir ? resolve(values.dir) : undefined;
    if (!folder) {
      generated = await mkdtemp(join(tmpdir(), 'first-sync-store-'));
      folder = generated;
      log(`generating ${values.orders} orders, ${values.products} products (seed ${values.seed}) in ${folder}`);
      await writeStoreFixture(
        folder,
        { orders: Number(values.orders), products: Number(values.products), seed: Number(values.seed) },
        'jsonl',
      );
    }
    const result = await benchFirstSync(scratch, { dir: folder, timeoutSeconds: Number(values.timeout), log });
    await mkdir(dirname(values.results), { recursive: true });
    await writeFile(values.results, `${JSON.stringify({ fixture: folder, ...result }, null, 2)}\n`);
    console.log(JSON.stringify(result, null, 2));
    return result.status === 'succeeded' ? 0 : 1;
  } finally {
    await scratch.close();
    if (generated) await rm(generated, { recursive: true, force: true });
  }
}

// a CLI when run, a module when imported by the bench
if (import.meta.main) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      console.error(USAGE);
      process.exit(1);
    },
  );
}
