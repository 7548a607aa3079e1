/**
 * Data migration benchmark (not a test): migration rows/s beside a raw
 * `COPY … TO STDOUT | COPY … FROM STDIN` pipe of the same tables, same machine, same server.
 *
 *   node scripts/bench/migration.ts [--orders 200000] [--products 2000] [--seed 7] [--batch-size 5000]
 *     [--admin-url postgres://…/postgres]
 *
 * Without --admin-url it starts a throwaway embedded Postgres; with one it creates (and drops)
 * three scratch databases on that server. The legacy database is filled the way the old app
 * filled it: a generated store through ingest_product / ingest_order / delete_product, then
 * refresh_mart_performance_metrics and classify_products. Prints one JSON object on stdout.
 *
 * - migration: `runMigration` exactly as `npm run migrate:legacy -- run` does it (preflight assess,
 *   source snapshot, batches keyed by the legacy key, one transaction + checkpoint per batch),
 *   then `verify` (timed apart) must pass, so a figure never comes from wrong work.
 * - rawPipe: per table one unbatched COPY of the mapped columns straight into a second migrated
 *   database: no snapshot, no batches, no checkpoints, no casts — the floor the migration pays on.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import { mappedColumns, quoteIdent, TABLE_MAPPINGS } from '../../db/names-map.ts';
import { loadLegacyStore } from '../lib/legacy-store.ts';
import { type LocalPostgres, startLocalPostgres } from '../lib/local-postgres.ts';
import { migrate, PROJECT_ROOT } from '../lib/migrations.ts';
import { withDatabase } from '../lib/postgres-url.ts';
import { resumeAfterCopyOut } from '../migrate-legacy/copy-stream.ts';
import { openMigrationDatabases } from '../migrate-legacy/databases.ts';
import { runMigration } from '../migrate-legacy/run.ts';
import { verifyMigration } from '../migrate-legacy/verify.ts';
import { generateStoreStream } from '../store-generator/generate.ts';

const LEGACY_SCHEMA = join(PROJECT_ROOT, 'test/fixtures/legacy-schema.sql');

function options() {
  const { values } = parseArgs({
    options: {
      orders: { type: 'string', default: '200000' },
      products: { type: 'string', default: '2000' },
      seed: { type: 'string', default: '7' },
      'batch-size': { type: 'string', default: '5000' },
      'admin-url': { type: 'string' },
    },
  });
  return {
    orders: Number(values.orders),
    products: Number(values.products),
    seed: Number(values.seed),
    batchSize: Number(values['batch-size']),
    adminUrl: values['admin-url'],
  };
}

const log = (message: string) => process.stderr.write(`${message}\n`);

async function seconds<T>(work: () => Promise<T>): Promise<[T, number]> {
  const started = performance.now();
  const result = await work();
  return [result, (performance.now() - started) / 1000];
}

async function fillLegacy(url: string, store: { seed: number; products: number; orders: number }): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await sql.file(LEGACY_SCHEMA);
    const stream = generateStoreStream(store);
    await loadLegacyStore(
      sql,
      {
        timezone: stream.shop.ianaTimezone,
        products: stream.legacyProducts(),
        orders: stream.legacyOrders(),
        deletedProductIds: stream.deletedProductIds(),
      },
      {
        onOrders: (loaded) => {
          if (loaded % 20_000 === 0) log(`  legacy: ${loaded} orders ingested`);
        },
      },
    );
    await sql`select refresh_mart_performance_metrics()`;
    await sql`select classify_products()`;
    await sql`vacuum analyze`;
  } finally {
    await sql.end();
  }
}

/** Per table one unbatched `copy (select mapped columns) to stdout` → `copy new_table from stdin`. */
async function rawPipe(legacyUrl: string, targetUrl: string) {
  const db = await openMigrationDatabases(legacyUrl, targetUrl);
  try {
    const perTable = [];
    for (const mapping of TABLE_MAPPINGS) {
      const columns = mappedColumns(mapping);
      const [rows, secs] = await seconds(async () => {
        const out = await db.legacy
          .unsafe(
            `copy (select ${columns.map((c) => c.sql).join(', ')} from ${quoteIdent(mapping.legacyTable)}) to stdout`,
          )
          .readable();
        const into = await db.target
          .unsafe(
            `copy ${quoteIdent(mapping.newTable)} (${columns.map((c) => quoteIdent(c.newColumn)).join(', ')}) from stdin`,
          )
          .writable();
        let n = 0;
        out.on('data', (chunk: Buffer) => {
          for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) n++;
        });
        await pipeline(out, into);
        resumeAfterCopyOut(out);
        return n;
      });
      perTable.push({ table: mapping.legacyTable, rows, seconds: round(secs), rowsPerSecond: Math.round(rows / secs) });
    }
    return perTable;
  } finally {
    await db.close();
  }
}

function round(value: number, digits = 3): number {
  return Number(value.toFixed(digits));
}

/**
 * One measured run (the benchmark script calls it once per run): the migration into `targetUrl`,
 * verified, then the raw pipe into `rawUrl`. Both targets: migrated and empty.
 */
export async function measureMigration(
  { legacyUrl, targetUrl, rawUrl }: { legacyUrl: string; targetUrl: string; rawUrl: string },
  batchSize: number,
) {
  log('migrating…');
  const db = await openMigrationDatabases(legacyUrl, targetUrl);
  let migration: Awaited<ReturnType<typeof runMigration>>;
  let runSeconds: number;
  let verify: Awaited<ReturnType<typeof verifyMigration>>;
  let verifySeconds: number;
  try {
    [migration, runSeconds] = await seconds(() => runMigration(db, TABLE_MAPPINGS, { batchSize }));
    log('verifying…');
    [verify, verifySeconds] = await seconds(() => verifyMigration(db, TABLE_MAPPINGS));
  } finally {
    await db.close();
  }
  if (!verify.ok)
    throw new Error(
      `verify failed after the benchmark run: ${verify.tables.filter((t) => !t.ok).map((t) => t.legacyTable)}`,
    );

  log('raw COPY pipe…');
  const [raw, rawSeconds] = await seconds(() => rawPipe(legacyUrl, rawUrl));
  const rawRows = raw.reduce((sum, t) => sum + t.rows, 0);
  if (rawRows !== migration.rowsCopied)
    throw new Error(`raw pipe copied ${rawRows} rows, the migration ${migration.rowsCopied}`);
  return { migration, runSeconds, verify, verifySeconds, raw, rawSeconds, rawRows };
}

async function main(): Promise<void> {
  const opts = options();
  let server: LocalPostgres | undefined;
  let dataDir: string | undefined;
  let adminUrl = opts.adminUrl;
  if (!adminUrl) {
    dataDir = await mkdtemp(join(tmpdir(), 'bench-migration-pg-'));
    server = await startLocalPostgres({ dataDir, persistent: false });
    adminUrl = server.adminUrl;
  }
  const names = ['legacy', 'target', 'raw'].map((n) => `bench_migration_${n}_${process.pid}`);
  const [legacyUrl, targetUrl, rawUrl] = names.map((n) => withDatabase(adminUrl, n)) as [string, string, string];
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    for (const name of names) await admin.unsafe(`create database "${name}"`);
    log(`loading the legacy database (${opts.orders} orders, ${opts.products} products)…`);
    const [, loadSeconds] = await seconds(() => fillLegacy(legacyUrl, opts));
    await migrate(targetUrl, { quiet: true });
    await migrate(rawUrl, { quiet: true });

    const { migration, runSeconds, verify, verifySeconds, raw, rawSeconds, rawRows } = await measureMigration(
      { legacyUrl, targetUrl, rawUrl },
      opts.batchSize,
    );

    const [server_] = await admin<{ version: string }[]>`select current_setting('server_version') as version`;
    console.log(
      JSON.stringify(
        {
          benchmark: 'legacy data migration vs raw COPY pipe',
          options: { orders: opts.orders, products: opts.products, seed: opts.seed, batchSize: opts.batchSize },
          machine: {
            cpus: cpus().length,
            cpuModel: cpus()[0]?.model,
            node: process.version,
            postgres: server_?.version,
          },
          legacyLoadSeconds: round(loadSeconds, 1),
          rows: migration.rowsCopied,
          migration: {
            seconds: round(runSeconds),
            copySeconds: round(migration.seconds),
            preflightSeconds: round(runSeconds - migration.seconds),
            rowsPerSecond: Math.round(migration.rowsCopied / runSeconds),
            copyRowsPerSecond: Math.round(migration.rowsCopied / migration.seconds),
            perTable: migration.tables.map((t) => ({
              table: t.legacyTable,
              rows: t.rowsCopied,
              batches: t.batches,
              seconds: round(t.seconds),
              rowsPerSecond: t.seconds > 0 ? Math.round(t.rowsCopied / t.seconds) : null,
            })),
          },
          verify: { seconds: round(verifySeconds), ok: verify.ok },
          rawPipe: {
            seconds: round(rawSeconds),
            rowsPerSecond: Math.round(rawRows / rawSeconds),
            perTable: raw,
          },
          migrationShareOfRawSpeed: round(rawSeconds / runSeconds, 2),
        },
        null,
        2,
      ),
    );
  } finally {
    for (const name of names) await admin.unsafe(`drop database if exists "${name}" with (force)`);
    await admin.end();
    await server?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
