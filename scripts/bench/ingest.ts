/**
 * Ingest benchmark: one generated store written once as a fixture folder (Shopify JSONL for the new
 * system, REST JSON lines for the legacy), then loaded three ways into fresh databases:
 *
 * - legacy: what the Express app did, `ingest_product(p)` / `ingest_order(o)` for every object, then
 *   `delete_product(id)`. The objects go 500 to a statement (`select ingest_order(o) from
 *   jsonb_array_elements(…)`), the legacy's best case: one function call per object without a
 *   network round trip per object.
 * - new: the loader's streaming path (file stream → readJsonlLines → stream → resolve,
 *   workers/shared/ingest/load.ts) in a child process, scripts/bench/ingest-memory.ts, which also
 *   samples that process's peak RSS and CPU, twice: on the files in their natural order (each
 *   order followed by its lines) and FULLY shuffled (any line anywhere in its file,
 *   scripts/bench/shuffle-lines.ts), so a loader fast only when children sit near their parents
 *   shows it.
 * - COPY: the rows the new loader wrote (every raw table, same columns, same indexes and foreign
 *   keys), dumped once with `COPY … TO STDOUT` and timed going back in with `COPY … FROM STDIN`:
 *   the physical limit for writing them.
 *
 * Beside wall times, each side's database CPU seconds (its backends', from /proc: steadier than
 * wall time on a shared machine) and the loader process's own CPU.
 */
import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import postgres from 'postgres';
import type { Sql } from '#shared/db/types.ts';
import { readJsonlLines } from '../../workers/shared/ingest/jsonl-reader.ts';
import { PROJECT_ROOT } from '../lib/migrations.ts';
import { countNewlines, resumeAfterCopyOut } from '../migrate-legacy/copy-stream.ts';
import { socketWithoutDelay } from '../migrate-legacy/databases.ts';
import { backendCpuSeconds } from './backend-cpu.ts';
import { summarizeTimings, type Timing } from './marts.ts';
import type { ScratchDatabases } from './scratch-databases.ts';

/** The tables the loader writes, parents first (the order a COPY into foreign keys needs). */
export const RAW_TABLES = [
  'material_artifact',
  'material_artifact_variant',
  'media_content_entity',
  'denotation_relation',
  'tag_designation',
  'tag_content_entity',
  'act_of_sale',
  'act_of_sale_line',
  'act_of_refund',
  'act_of_refund_line',
] as const;

const LEGACY_BATCH = 500;

/** Raw JSON lines of a file, `size` at a time, as the text of one JSON array (never parsed here). */
async function* jsonArrays(path: string, size: number): AsyncGenerator<string> {
  let batch: string[] = [];
  for await (const record of readJsonlLines(createReadStream(path, { highWaterMark: 1 << 20 }))) {
    if (record.kind !== 'line') throw new Error(`${path}:${record.lineNumber}: ${record.reason}`);
    batch.push(record.text);
    if (batch.length === size) {
      yield `[${batch.join(',')}]`;
      batch = [];
    }
  }
  if (batch.length > 0) yield `[${batch.join(',')}]`;
}

/** The legacy ingest of a fixture folder's `legacy/` files (written with legacy format 'jsonl'). */
export async function loadLegacyFolder(sql: Sql, dir: string): Promise<void> {
  for await (const products of jsonArrays(join(dir, 'legacy', 'products.jsonl'), LEGACY_BATCH)) {
    await sql`select ingest_product(p) from jsonb_array_elements(${products}::text::jsonb) p`;
  }
  for await (const orders of jsonArrays(join(dir, 'legacy', 'orders.jsonl'), LEGACY_BATCH)) {
    await sql`select ingest_order(o) from jsonb_array_elements(${orders}::text::jsonb) o`;
  }
  const deleted = await readFile(join(dir, 'legacy', 'deleted-product-ids.json'), 'utf8');
  await sql`select delete_product(id::bigint) from jsonb_array_elements_text(${deleted}::text::jsonb) id`;
}

export interface NewLoad {
  seconds: number;
  lines: number;
  rows: number;
  quarantined: number;
  peakRssMib: number;
  loaderCpuSeconds: number;
  loaderCpuMsPerMib: number;
  databaseCpuSeconds: number | null;
}

interface IngestMemoryReport {
  seconds: number;
  lines: number;
  rows: number;
  cpu: { loader_seconds: number; loader_ms_per_mib: number; database_seconds: number | null };
  memory: { peak_rss_mib: number; max_rss_mib_os: number };
  resources: { quarantined: number }[];
}

/** Loads the folder's JSONL files into `databaseUrl` through the loader, in a child process. */
export async function loadNewFolder(databaseUrl: string, dir: string): Promise<NewLoad> {
  // The files exist, so it only loads them (--products 1 keeps its unused size estimate small).
  const script = join(PROJECT_ROOT, 'scripts/bench/ingest-memory.ts');
  const child = spawn(process.execPath, [script, '--dir', dir, '--products', '1'], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, DATABASE_URL: databaseUrl },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  if (code !== 0) throw new Error(`the new loader (scripts/bench/ingest-memory.ts) exited with ${code}:\n${stderr}`);
  const report = JSON.parse(stdout) as IngestMemoryReport;
  return {
    seconds: report.seconds,
    lines: report.lines,
    rows: report.rows,
    quarantined: report.resources.reduce((sum, r) => sum + r.quarantined, 0),
    peakRssMib: Math.max(report.memory.peak_rss_mib, report.memory.max_rss_mib_os),
    loaderCpuSeconds: report.cpu.loader_seconds,
    loaderCpuMsPerMib: report.cpu.loader_ms_per_mib,
    databaseCpuSeconds: report.cpu.database_seconds,
  };
}

async function insertableColumns(sql: Sql, table: string): Promise<string> {
  const columns = await sql<{ name: string }[]>`
    select column_name as name from information_schema.columns
    where table_schema = 'public' and table_name = ${table} and is_generated = 'NEVER'
    order by ordinal_position`;
  return columns.map((c) => `"${c.name}"`).join(', ');
}

/** Dumps the raw tables of a loaded database to `dir/<table>.copy`; returns the rows per table. */
export async function dumpRawTables(sql: Sql, dir: string): Promise<Record<string, number>> {
  await mkdir(dir, { recursive: true });
  const rows: Record<string, number> = {};
  for (const table of RAW_TABLES) {
    const out = await sql.unsafe(`copy "${table}" (${await insertableColumns(sql, table)}) to stdout`).readable();
    let count = 0;
    out.on('data', (chunk: Buffer) => {
      count += countNewlines(chunk);
    });
    await pipeline(out, createWriteStream(join(dir, `${table}.copy`)));
    resumeAfterCopyOut(out);
    rows[table] = count;
  }
  return rows;
}

/** COPYs the dumped tables into an empty migrated database; returns the seconds it took. */
export async function copyRawTables(sql: Sql, dir: string): Promise<number> {
  const statements = [];
  for (const table of RAW_TABLES) {
    statements.push({ table, copy: `copy "${table}" (${await insertableColumns(sql, table)}) from stdin` });
  }
  const started = performance.now();
  for (const { table, copy } of statements) {
    const into = await sql.unsafe(copy).writable();
    await pipeline(createReadStream(join(dir, `${table}.copy`), { highWaterMark: 1 << 20 }), into);
  }
  return (performance.now() - started) / 1000;
}

export interface IngestBench {
  /** JSONL lines of the store (every resource file). */
  lines: number;
  bytes: number;
  /** Rows the loads wrote into the raw tables (what the COPY writes too), per table. */
  rowsByTable: Record<string, number>;
  rows: number;
  legacyMs: Timing;
  /** The new loader on the fully shuffled files. */
  newMs: Timing;
  /** The new loader on the files in their natural order. */
  newNaturalMs: Timing;
  copyMs: Timing;
  /** Database CPU seconds of each side (null when the server is not on this machine). */
  databaseCpuSeconds: { legacy: Timing | null; new: Timing | null; newNatural: Timing | null; copy: Timing | null };
  /** CPU of the loader's process (the Worker side) per MiB of JSONL, fully shuffled files. */
  loaderCpuMsPerMib: Timing;
  /** Peak RSS of the new loader's process. */
  newPeakRssMib: Timing;
  /** The databases of the last run, loaded (the new one from the natural order): the other benchmarks go on from them. */
  legacyUrl: string;
  newUrl: string;
}

/**
 * `runs` times: the legacy ingest, the new loader (fully shuffled, then natural order) and the
 * COPY each into fresh databases (the legacy and new ones alternate who goes first, so load from
 * other processes falls on both). The databases of the last run are kept (and vacuum-analyzed),
 * the others dropped.
 */
export async function benchIngest(
  scratch: ScratchDatabases,
  input: {
    dir: string;
    shuffledDir: string;
    lines: number;
    bytes: number;
    timezone: string;
    runs: number;
    log: (message: string) => void;
  },
): Promise<IngestBench> {
  const samples = {
    legacy: [] as number[],
    next: [] as number[],
    natural: [] as number[],
    copy: [] as number[],
    rss: [] as number[],
    loaderCpu: [] as number[],
  };
  const cpu = { legacy: [] as number[], next: [] as number[], natural: [] as number[], copy: [] as number[] };
  const pushCpu = (into: number[], seconds: number | null) => {
    if (seconds !== null) into.push(Math.round(seconds * 100) / 100);
  };
  const copyDir = join(input.dir, 'copy');
  let rowsByTable: Record<string, number> = {};
  let kept = { legacyUrl: '', newUrl: '' };
  for (let run = 0; run < input.runs; run++) {
    const legacyUrl = await scratch.create('legacy', `ingest_legacy_${run}`);
    const newUrl = await scratch.create('new', `ingest_new_${run}`);
    const naturalUrl = await scratch.create('new', `ingest_natural_${run}`);
    await setShopTimezone({ legacyUrl, newUrl }, input.timezone);
    await setShopTimezone({ legacyUrl: null, newUrl: naturalUrl }, input.timezone);
    const legacySide = async () => {
      const sql = postgres(legacyUrl, { max: 1, onnotice: () => {} });
      try {
        await sql`select 1`;
        const cpuBefore = await backendCpuSeconds(sql);
        const started = performance.now();
        await loadLegacyFolder(sql, input.dir);
        samples.legacy.push(performance.now() - started);
        const cpuAfter = await backendCpuSeconds(sql);
        pushCpu(cpu.legacy, cpuBefore === null || cpuAfter === null ? null : cpuAfter - cpuBefore);
      } finally {
        await sql.end({ timeout: 5 });
      }
    };
    const newSide = (dir: string, url: string, into: number[], cpuInto: number[]) => async () => {
      const load = await loadNewFolder(url, dir);
      if (load.lines !== input.lines || load.quarantined > 0) {
        throw new Error(`the new loader read ${load.lines} of ${input.lines} lines, quarantined ${load.quarantined}`);
      }
      into.push(load.seconds * 1000);
      pushCpu(cpuInto, load.databaseCpuSeconds);
      if (dir === input.shuffledDir) {
        samples.rss.push(load.peakRssMib);
        samples.loaderCpu.push(load.loaderCpuMsPerMib);
      }
    };
    const shuffled = newSide(input.shuffledDir, newUrl, samples.next, cpu.next);
    const natural = newSide(input.dir, naturalUrl, samples.natural, cpu.natural);
    for (const side of run % 2 === 0 ? [legacySide, shuffled, natural] : [natural, shuffled, legacySide]) await side();
    input.log(
      `  ingest run ${run + 1}/${input.runs}: legacy ${Math.round(samples.legacy.at(-1) ?? 0)} ms, new (fully shuffled) ${Math.round(samples.next.at(-1) ?? 0)} ms, new (natural order) ${Math.round(samples.natural.at(-1) ?? 0)} ms`,
    );

    const loaded = postgres(newUrl, { max: 1, onnotice: () => {} });
    try {
      if (run === 0) rowsByTable = await dumpRawTables(loaded, copyDir);
    } finally {
      await loaded.end({ timeout: 5 });
    }
    // the marts and queries go on from the natural-order database: loaded in the order the legacy's was
    await scratch.drop(newUrl);
    const copyUrl = await scratch.create('new', `ingest_copy_${run}`);
    const copyTarget = openCopyConnection(copyUrl);
    try {
      await copyTarget`select 1`;
      const cpuBefore = await backendCpuSeconds(copyTarget);
      samples.copy.push((await copyRawTables(copyTarget, copyDir)) * 1000);
      const cpuAfter = await backendCpuSeconds(copyTarget);
      pushCpu(cpu.copy, cpuBefore === null || cpuAfter === null ? null : cpuAfter - cpuBefore);
    } finally {
      await copyTarget.end({ timeout: 5 });
      await scratch.drop(copyUrl);
    }
    input.log(`  COPY run ${run + 1}/${input.runs}: ${Math.round(samples.copy.at(-1) ?? 0)} ms`);

    if (kept.legacyUrl) await Promise.all([scratch.drop(kept.legacyUrl), scratch.drop(kept.newUrl)]);
    kept = { legacyUrl, newUrl: naturalUrl };
  }
  for (const url of [kept.legacyUrl, kept.newUrl]) {
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    await sql`vacuum analyze`.finally(() => sql.end({ timeout: 5 }));
  }
  const cpuTiming = (values: number[]) => (values.length > 0 ? summarizeTimings(values) : null);
  return {
    lines: input.lines,
    bytes: input.bytes,
    rowsByTable,
    rows: Object.values(rowsByTable).reduce((sum, n) => sum + n, 0),
    legacyMs: summarizeTimings(samples.legacy),
    newMs: summarizeTimings(samples.next),
    newNaturalMs: summarizeTimings(samples.natural),
    copyMs: summarizeTimings(samples.copy),
    databaseCpuSeconds: {
      legacy: cpuTiming(cpu.legacy),
      new: cpuTiming(cpu.next),
      newNatural: cpuTiming(cpu.natural),
      copy: cpuTiming(cpu.copy),
    },
    loaderCpuMsPerMib: summarizeTimings(samples.loaderCpu),
    newPeakRssMib: summarizeTimings(samples.rss),
    ...kept,
  };
}

/** The shop's timezone, set before any row is loaded, as a sync does (the incremental keys' days use it). */
async function setShopTimezone(urls: { legacyUrl: string | null; newUrl: string }, timezone: string): Promise<void> {
  const legacy = urls.legacyUrl ? postgres(urls.legacyUrl, { max: 1, onnotice: () => {} }) : null;
  const next = postgres(urls.newUrl, { max: 1, onnotice: () => {} });
  try {
    if (legacy)
      await legacy`insert into app_settings (key, value) values ('shop_timezone', to_jsonb(${timezone}::text))`;
    await next`insert into configuration_setting (setting_key, setting_value)
               values ('shop_timezone', to_jsonb(${timezone}::text))`;
  } finally {
    await Promise.all([legacy?.end({ timeout: 5 }), next.end({ timeout: 5 })]);
  }
}

/** A connection with TCP_NODELAY, as the migration's: a COPY's last message must not wait for an ACK. */
function openCopyConnection(url: string): Sql {
  return postgres(url, { max: 1, onnotice: () => {}, socket: socketWithoutDelay } as Parameters<typeof postgres>[1]);
}
