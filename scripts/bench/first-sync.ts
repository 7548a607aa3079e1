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
import { openScratchDatabases } from './scratch-databases.ts';

const USAGE = `usage: npm run bench:first-sync -- [--dir <fixture-folder> | --orders 200000 --products 2000 --seed 7]
  [--timeout 3600] [--results bench/first-sync.json]`;

const log = (message: string) => console.error(`[bench:first-sync] ${message}`);

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
    const databaseUrl = await scratch.create('new', 'first_sync');
    log(`npm run ingest:fixture -- ${folder} --timeout ${values.timeout}`);
    const child = spawn(
      process.execPath,
      [join(PROJECT_ROOT, 'scripts/ingest-fixture.ts'), folder, '--timeout', String(values.timeout)],
      { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, DATABASE_URL: databaseUrl } },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += String(chunk);
    });
    const code = await new Promise<number>((done) => child.on('exit', (exitCode) => done(exitCode ?? 1)));
    if (!output.trim()) throw new Error(`ingest:fixture printed no summary (exit ${code})`);
    const summary = JSON.parse(output) as {
      sync: { status: string };
      phases: unknown;
      shopify_cost: unknown;
      rate_limit_bound: unknown;
      tables: unknown;
    };
    const result = {
      fixture: folder,
      status: summary.sync.status,
      phases: summary.phases,
      shopify_cost: summary.shopify_cost,
      rate_limit_bound: summary.rate_limit_bound,
      tables: summary.tables,
    };
    await mkdir(dirname(values.results), { recursive: true });
    await writeFile(values.results, `${JSON.stringify(result, null, 2)}\n`);
    console.log(JSON.stringify(result, null, 2));
    return code;
  } finally {
    await scratch.close();
    if (generated) await rm(generated, { recursive: true, force: true });
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    console.error(USAGE);
    process.exit(1);
  },
);
