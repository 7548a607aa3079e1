/**
 * `npm run bench:ingest-memory -- [--gigabytes 1.05] [--seed 9] [--dir <folder>] [--keep]`
 *
 * A benchmark, not a test: generates a store of at least the given size of Shopify JSONL (children
 * shuffled, as bulk output without groupObjects), then loads it file by file through the loader's
 * streaming path (file stream → readJsonlLines → stream, in the resource's passes → resolve,
 * workers/shared/ingest/load.ts) and
 * prints JSON: bytes, lines, rows, seconds, rows/s and MB/s per resource and in total, and this
 * process's memory — the peak RSS and the RSS sampled at each 10% of the bytes read — to show it
 * stays flat however big the file is.
 *
 * Postgres: DATABASE_URL (a database this may fill and migrate), else a throwaway embedded server.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import { readJsonlLines } from '../../workers/shared/ingest/jsonl-reader.ts';
import { loadJsonlSource } from '../../workers/shared/ingest/load.ts';
import type { ResourceName } from '../../workers/shared/ingest/shopify-objects.ts';
import { startLocalPostgres } from '../lib/local-postgres.ts';
import { migrate } from '../lib/migrations.ts';
import { withDatabase } from '../lib/postgres-url.ts';
import { generateStoreStream, type StoreOptions } from '../store-generator/generate.ts';
import { backendCpuSeconds } from './backend-cpu.ts';

const RESOURCES: ResourceName[] = ['products', 'orders', 'refunds', 'deletions'];
const MIB = 1024 * 1024;

async function writeLines(path: string, lines: Iterable<string>): Promise<{ bytes: number; lines: number }> {
  const out = createWriteStream(path);
  let bytes = 0;
  let count = 0;
  let batch = '';
  for (const line of lines) {
    batch += `${line}\n`;
    count++;
    if (batch.length >= 1 << 20) {
      bytes += Buffer.byteLength(batch);
      if (!out.write(batch)) await once(out, 'drain');
      batch = '';
    }
  }
  bytes += Buffer.byteLength(batch);
  out.end(batch);
  await once(out, 'close');
  return { bytes, lines: count };
}

/** Orders needed for `targetBytes` of JSONL, from the size of a sample of the same store. */
function ordersFor(targetBytes: number, options: StoreOptions): { orders: number; productBytes: number } {
  const sample = generateStoreStream({ ...options, orders: 2000 });
  let orderBytes = 0;
  for (const line of sample.orderLines()) orderBytes += Buffer.byteLength(line) + 1;
  for (const line of sample.refundLines()) orderBytes += Buffer.byteLength(line) + 1;
  let productBytes = 0;
  for (const line of sample.productLines()) productBytes += Buffer.byteLength(line) + 1;
  return { orders: Math.ceil(((targetBytes - productBytes) / orderBytes) * 2000), productBytes };
}

async function main(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      gigabytes: { type: 'string', default: '1.05' },
      seed: { type: 'string', default: '9' },
      products: { type: 'string', default: '20000' },
      dir: { type: 'string' },
      keep: { type: 'boolean', default: false },
      // internal: the child process that writes the files, so the loading process's memory is the loader's alone
      'generate-only': { type: 'boolean', default: false },
    },
  });
  const targetBytes = Number(values.gigabytes) * 1024 * MIB;
  // the files go with the store's shape: --dir names where they are (or are written)
  const dir = values.dir ?? (await mkdtemp(join(tmpdir(), 'ingest-bench-')));
  await mkdir(dir, { recursive: true });
  const storeOptions: StoreOptions = {
    seed: Number(values.seed),
    products: Number(values.products),
    orders: 0,
    shuffleChildren: true,
  };
  const { orders } = ordersFor(targetBytes, storeOptions);
  if (values['generate-only']) {
    const store = generateStoreStream({ ...storeOptions, orders });
    const sources: Record<ResourceName, () => Iterable<string>> = {
      products: () => store.productLines(),
      orders: () => store.orderLines(),
      refunds: () => store.refundLines(),
      deletions: () => store.deletionLines(),
    };
    for (const resource of RESOURCES) await writeLines(join(dir, `${resource}.jsonl`), sources[resource]());
    return;
  }
  const generated = performance.now();
  const present = await Promise.all(RESOURCES.map((r) => stat(join(dir, `${r}.jsonl`)).catch(() => null)));
  if (present.some((file) => file === null)) {
    const child = spawn(
      process.execPath,
      [...process.execArgv, import.meta.filename, ...argv, '--dir', dir, '--generate-only'],
      {
        stdio: 'inherit',
      },
    );
    const [code] = await once(child, 'exit');
    if (code !== 0) throw new Error(`generating the fixture failed (${code})`);
  }
  const files: Record<string, { bytes: number }> = {};
  for (const resource of RESOURCES) files[resource] = { bytes: (await stat(join(dir, `${resource}.jsonl`))).size };
  const generateSeconds = (performance.now() - generated) / 1000;
  const totalBytes = Object.values(files).reduce((sum, f) => sum + f.bytes, 0);
  console.error(
    `${(totalBytes / MIB).toFixed(0)} MiB of JSONL (${storeOptions.products} products, ${orders} orders) ready in ${generateSeconds.toFixed(0)} s`,
  );

  let server: Awaited<ReturnType<typeof startLocalPostgres>> | undefined;
  let databaseUrl = process.env.DATABASE_URL;
  let pgDir: string | undefined;
  if (!databaseUrl) {
    // its own temporary folder: initdb runs as an unprivileged user (as root), which cannot enter `dir` (mode 0700)
    pgDir = await mkdtemp(join(tmpdir(), 'ingest-bench-pg-'));
    server = await startLocalPostgres({ dataDir: pgDir, persistent: false });
    const admin = postgres(server.adminUrl, { max: 1, onnotice: () => {} });
    await admin.unsafe('create database ingest_bench');
    await admin.end();
    databaseUrl = withDatabase(server.adminUrl, 'ingest_bench');
  }
  await migrate(databaseUrl, { quiet: true });
  const sql = postgres(databaseUrl, { max: 4, onnotice: () => {} });

  // memory: sampled every 100 ms, and at each 10% of the bytes read
  let bytesRead = 0;
  let peakRss = process.memoryUsage.rss();
  const atProgress: { percent: number; rss_mib: number; heap_used_mib: number }[] = [];
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
  }, 100);
  const mib = (n: number) => Math.round((n / MIB) * 10) / 10;

  const results: Record<string, unknown>[] = [];
  const cpuBefore = (process.cpuUsage().user + process.cpuUsage().system) / 1e6;
  const started = performance.now();
  let totalRows = 0;
  let totalLines = 0;
  for (const resource of RESOURCES) {
    const path = join(dir, `${resource}.jsonl`);
    let reads = 0;
    // the file is read once per pass of the resource (orders: parents, then children)
    const open = () => {
      const stream = createReadStream(path, { highWaterMark: MIB });
      if (reads++ > 0) return readJsonlLines(stream);
      stream.on('data', (chunk) => {
        bytesRead += chunk.length;
        const percent = Math.floor((bytesRead / totalBytes) * 10) * 10;
        if (percent > (atProgress.at(-1)?.percent ?? -10)) {
          // with --expose-gc (npm run bench:ingest-memory), the heap figure is what is live, not garbage
          (globalThis as { gc?: () => void }).gc?.();
          const memory = process.memoryUsage();
          atProgress.push({ percent, rss_mib: mib(memory.rss), heap_used_mib: mib(memory.heapUsed) });
        }
      });
      return readJsonlLines(stream);
    };
    const databaseBefore = await backendCpuSeconds(sql);
    const t0 = performance.now();
    const summary = await loadJsonlSource(sql, resource, open);
    const seconds = (performance.now() - t0) / 1000;
    const databaseAfter = await backendCpuSeconds(sql);
    totalRows += summary.rowsUpserted;
    totalLines += summary.linesRead;
    results.push({
      resource,
      bytes: files[resource]?.bytes,
      lines: summary.linesRead,
      quarantined: summary.quarantined,
      rows: summary.rowsUpserted,
      seconds: Math.round(seconds * 10) / 10,
      // the pool's backends live through the whole run: the difference is this resource's
      database_cpu_seconds:
        databaseBefore === null || databaseAfter === null
          ? null
          : Math.round((databaseAfter - databaseBefore) * 100) / 100,
      rows_per_second: Math.round(summary.rowsUpserted / seconds),
      lines_per_second: Math.round(summary.linesRead / seconds),
      mib_per_second: Math.round(((files[resource]?.bytes ?? 0) / MIB / seconds) * 10) / 10,
    });
    console.error(`loaded ${resource}: ${JSON.stringify(results.at(-1))}`);
  }
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  const resourceUsage = process.resourceUsage();
  const loaderCpuSeconds = (resourceUsage.userCPUTime + resourceUsage.systemCPUTime) / 1e6 - cpuBefore;
  const databaseCpuSeconds = await backendCpuSeconds(sql);
  const report = {
    benchmark: 'ingest-memory',
    node: process.version,
    jsonl_bytes: totalBytes,
    jsonl_gib: Math.round((totalBytes / 1024 / MIB) * 100) / 100,
    store: { ...storeOptions, orders },
    lines: totalLines,
    rows: totalRows,
    // ms precision: npm run bench reads it for small stores too
    seconds: Math.round(seconds * 1000) / 1000,
    rows_per_second: Math.round(totalRows / seconds),
    lines_per_second: Math.round(totalLines / seconds),
    mib_per_second: Math.round((totalBytes / MIB / seconds) * 10) / 10,
    // CPU of this process (the Worker side: reading, parsing, validating) and of its database backends
    cpu: {
      loader_seconds: Math.round(loaderCpuSeconds * 100) / 100,
      loader_ms_per_mib: Math.round((loaderCpuSeconds * 1000) / (totalBytes / MIB)),
      database_seconds: databaseCpuSeconds === null ? null : Math.round(databaseCpuSeconds * 100) / 100,
    },
    memory: {
      peak_rss_mib: mib(peakRss),
      max_rss_mib_os: mib(resourceUsage.maxRSS * 1024),
      rss_by_progress: atProgress,
    },
    resources: results,
  };
  console.log(JSON.stringify(report, null, 2));
  await sql.end({ timeout: 5 });
  await server?.stop();
  if (pgDir) await rm(pgDir, { recursive: true, force: true });
  if (!values.keep && !values.dir) await rm(dir, { recursive: true, force: true });
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
