/**
 * `npm run bench:steps -- [--gigabytes 1.05] [--seed 9] [--products 20000] [--dir <folder>] [--refund-steps 3]`
 *
 * A benchmark, not a test: the CPU and memory of each single queue step, for a ~1 GB export. It
 * runs the ingest Worker's own step functions (the registered procedures, through the runner the
 * queue consumer calls) in this Node process, one message at a time, against:
 * - the Shopify simulator in a child process, serving a generated store of that size from files
 *   (scripts/bench/ingest-memory.ts --generate-only writes them) with Range support;
 * - Postgres (DATABASE_URL, or a throwaway embedded server), migrated;
 * - a file-backed R2 stand-in (r2-files.ts), and an in-process queue that honours delays.
 * It runs an `orders` sync (start, poll, download in steps, its `load` child, a few refund pages),
 * a `products` sync, a touched-keys `marts` refresh, and a `replay` of the products export (its
 * `load` child and the full `marts` rebuild), and prints JSON: per step kind, the largest CPU time
 * (process.cpuUsage around the invocation, less the forced GCs below) and the largest memory of any
 * single invocation: its live heap + external growth over a GC'd start (a full GC every 200 ms, then
 * measured), with the growth garbage included (sampled every 10 ms) and RSS growth beside it, against
 * the targets: CPU ≤ 50% of limits.cpu_ms (workers/ingest/wrangler.toml), memory ≤ 64 MB.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import { freePort, startLocalPostgres } from '../lib/local-postgres.ts';
import { migrate } from '../lib/migrations.ts';
import { withDatabase } from '../lib/postgres-url.ts';
import { fileBucket } from './r2-files.ts';

const MIB = 1024 * 1024;
const ROOT = new URL('../../', import.meta.url);
const MEMORY_TARGET_MB = 64;

// The Worker modules, imported untyped: they are type-checked with the Workers' types, not Node's.
// biome-ignore lint/suspicious/noExplicitAny: see above
const workerModule = (path: string): Promise<any> => import(new URL(path, ROOT).href);

interface Message {
  procedureExecutionId: string;
  step: number;
  due: number;
}

interface Measured {
  label: string;
  cpuMs: number;
  heapMb: number;
  liveMb: number;
  rssMb: number;
}

function cpuLimitMs(toml: string): number {
  const limits = [...toml.matchAll(/^cpu_ms\s*=\s*([\d_]+)/gm)].map((m) => Number(m[1]?.replaceAll('_', '')));
  if (limits.length === 0) return 30_000; // the platform default
  return Math.min(...limits);
}

async function startSimulator(dir: string, port: number): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [join(ROOT.pathname, 'scripts/shopify-simulator/cli.ts'), '--fixture', dir, '--port', String(port)],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  for (let i = 0; i < 100; i++) {
    const up = await fetch(`http://127.0.0.1:${port}/__simulator/faults`).catch(() => null);
    if (up?.ok) return child;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  child.kill();
  throw new Error('the Shopify simulator did not start');
}

async function main(argv: string[]) {
  // the steps' JSON log lines would drown the report (errors still show)
  Object.assign(console, { log: () => {}, info: () => {}, warn: () => {} });
  const { values } = parseArgs({
    args: argv,
    options: {
      gigabytes: { type: 'string', default: '1.05' },
      seed: { type: 'string', default: '9' },
      products: { type: 'string', default: '20000' },
      dir: { type: 'string' },
      'refund-steps': { type: 'string', default: '3' },
    },
  });
  const dir = values.dir ?? (await mkdtemp(join(tmpdir(), 'steps-bench-')));
  await mkdir(dir, { recursive: true });
  const exists = await stat(join(dir, 'orders.jsonl')).catch(() => null);
  if (!exists) {
    const generator = spawn(
      process.execPath,
      [
        join(ROOT.pathname, 'scripts/bench/ingest-memory.ts'),
        '--gigabytes',
        values.gigabytes as string,
        '--seed',
        values.seed as string,
        '--products',
        values.products as string,
        '--dir',
        dir,
        '--generate-only',
      ],
      { stdio: 'inherit' },
    );
    const [code] = await once(generator, 'exit');
    if (code !== 0) throw new Error(`generating the store failed (${code})`);
  }
  const exportBytes = (await stat(join(dir, 'orders.jsonl'))).size;
  const cpuLimit = cpuLimitMs(await readFile(new URL('workers/ingest/wrangler.toml', ROOT), 'utf8'));

  const port = await freePort();
  const simulator = await startSimulator(dir, port);
  let server: Awaited<ReturnType<typeof startLocalPostgres>> | undefined;
  let databaseUrl = process.env.DATABASE_URL;
  const scratch = await mkdtemp(join(tmpdir(), 'steps-bench-run-'));
  try {
    if (!databaseUrl) {
      // its own temporary folder: initdb runs unprivileged (as root) and cannot enter a 0700 one
      server = await startLocalPostgres({
        dataDir: await mkdtemp(join(tmpdir(), 'steps-bench-pg-')),
        persistent: false,
      });
      const admin = postgres(server.adminUrl, { max: 1, onnotice: () => {} });
      await admin.unsafe('create database steps_bench');
      await admin.end();
      databaseUrl = withDatabase(server.adminUrl, 'steps_bench');
    }
    await migrate(databaseUrl, { quiet: true });

    const { PROCEDURES } = await workerModule('workers/shared/procedures/registry.ts');
    const { runProcedureExecution, enqueueExecution } = await workerModule('workers/shared/procedures/runner.ts');
    const { findExecution } = await workerModule('workers/shared/procedures/execution.ts');
    const { openDatabase } = await workerModule('workers/shared/db/client.ts');

    const bucket = fileBucket(join(scratch, 'r2'));
    await bucket.init();
    const queue: Message[] = [];
    const env = {
      ENVIRONMENT: 'development',
      SHOPIFY_SHOP_DOMAIN: 'simulated-shop.myshopify.com',
      SHOPIFY_ADMIN_API_URL: `http://127.0.0.1:${port}/admin/api/2026-07/graphql.json`,
      SHOPIFY_ACCESS_TOKEN: 'shpat_simulator_access_token',
      SHOPIFY_WEBHOOK_SECRET: 'simulator-webhook-secret',
      HYPERDRIVE: { connectionString: databaseUrl },
      RAW_ARCHIVE: bucket,
      INGEST_QUEUE: {
        send: async (body: { procedureExecutionId: string; step: number }, options?: { delaySeconds?: number }) => {
          queue.push({ ...body, due: Date.now() + (options?.delaySeconds ?? 0) * 1000 });
        },
      },
    };
    const pending: Promise<unknown>[] = [];
    const ctx = { waitUntil: (promise: Promise<unknown>) => pending.push(promise) };
    const control = openDatabase(env.HYPERDRIVE);
    const measured: Measured[] = [];
    const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});

    /** Runs messages until `until` says stop (or none is left); `skip` drops an execution's messages. */
    const drain = async (until: () => Promise<boolean>, skip: (row: { procedure_kind: string }) => boolean) => {
      while (queue.length > 0 && !(await until())) {
        queue.sort((a, b) => a.due - b.due);
        const message = queue.shift() as Message;
        const wait = message.due - Date.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(wait, 60_000)));
        const before = await findExecution(control.sql, message.procedureExecutionId);
        if (!before || ['succeeded', 'failed'].includes(before.status) || skip(before)) continue;
        const phase = (before.checkpoint_state as { phase?: string }).phase;
        const label = ['orders', 'products', 'full', 'replay'].includes(before.procedure_kind)
          ? `${before.procedure_kind}:${phase ?? 'start'}`
          : before.procedure_kind;
        // one invocation: its own client, as the consumer opens one per message
        const database = openDatabase(env.HYPERDRIVE);
        gc();
        const base = process.memoryUsage();
        let peak = base.heapUsed + base.external;
        let live = peak;
        let peakRss = base.rss;
        let ticks = 0;
        // the CPU of the forced GCs is the bench's, not the step's: taken off below
        let gcCpuMicros = 0;
        const sampler = setInterval(() => {
          // every 200 ms a full GC first: what is left is live (the isolate collects garbage before its limit)
          if (++ticks % 20 === 0) {
            const before = process.cpuUsage();
            gc();
            const spent = process.cpuUsage(before);
            gcCpuMicros += spent.user + spent.system;
            const after = process.memoryUsage();
            live = Math.max(live, after.heapUsed + after.external);
          }
          const now = process.memoryUsage();
          peak = Math.max(peak, now.heapUsed + now.external);
          peakRss = Math.max(peakRss, now.rss);
        }, 10);
        const cpu = process.cpuUsage();
        try {
          await runProcedureExecution({
            procedures: PROCEDURES,
            database,
            env,
            ctx,
            procedureExecutionId: message.procedureExecutionId,
            step: message.step,
          });
        } finally {
          const used = process.cpuUsage(cpu);
          clearInterval(sampler);
          const now = process.memoryUsage();
          peak = Math.max(peak, now.heapUsed + now.external);
          peakRss = Math.max(peakRss, now.rss);
          measured.push({
            label,
            cpuMs: (used.user + used.system - gcCpuMicros) / 1000,
            heapMb: (peak - base.heapUsed - base.external) / MIB,
            liveMb: (live - base.heapUsed - base.external) / MIB,
            rssMb: (peakRss - base.rss) / MIB,
          });
          await database.sql.end({ timeout: 5 });
        }
        const after = await findExecution(control.sql, message.procedureExecutionId);
        if (after?.status === 'failed') throw new Error(`${label} failed: ${after.error_text}`);
        process.stderr.write(`${label}: ${measured.at(-1)?.cpuMs.toFixed(0)} ms CPU\n`);
      }
    };
    const run = async (kind: string, parameters: Record<string, unknown>, stop?: () => Promise<boolean>) => {
      const execution = await enqueueExecution(control.sql, env.INGEST_QUEUE, {
        kind,
        triggerSource: 'bench',
        parameters,
      });
      const id = execution.procedure_execution_id;
      const finished = async () => {
        const row = await findExecution(control.sql, id);
        return row.status === 'succeeded' || (await (stop?.() ?? false));
      };
      await drain(finished, () => false);
      return id;
    };

    const started = performance.now();
    await run('products', { mode: 'full', poll_seconds: 1 });
    // orders: until it has done a few refund pages (the simulator indexes refunds in memory; the
    // pages are bounded by REFUND_ORDERS_PER_STEP, and their count grows with the store, not a step)
    const refundSteps = Number(values['refund-steps']);
    await run('orders', { mode: 'full', poll_seconds: 1 }, async () => {
      return measured.filter((m) => m.label === 'orders:refunds').length >= refundSteps;
    });
    queue.length = 0;
    await run('marts', { mode: 'touched' });
    queue.length = 0;
    const [products] = await control.sql`
      select object_key from information_bearing_entity where resource_name = 'products' limit 1`;
    await run('replay', { keys: [products?.object_key] });
    await Promise.allSettled(pending);

    const kinds = new Map<string, Measured[]>();
    for (const m of measured) kinds.set(m.label, [...(kinds.get(m.label) ?? []), m]);
    const round = (n: number) => Math.round(n * 10) / 10;
    const steps = [...kinds.entries()].map(([label, list]) => {
      const cpuMs = Math.max(...list.map((m) => m.cpuMs));
      const heapMb = Math.max(...list.map((m) => m.heapMb));
      const liveMb = Math.max(...list.map((m) => m.liveMb));
      return {
        step: label,
        invocations: list.length,
        max_cpu_ms: Math.round(cpuMs),
        max_cpu_share_of_limit: round((cpuMs / cpuLimit) * 100),
        max_memory_mb: round(liveMb),
        max_memory_with_garbage_mb: round(heapMb),
        max_rss_growth_mb: round(Math.max(...list.map((m) => m.rssMb))),
        cpu_target_met: cpuMs <= cpuLimit / 2,
        memory_target_met: liveMb <= MEMORY_TARGET_MB,
      };
    });
    const report = {
      benchmark: 'steps',
      node: process.version,
      orders_export_bytes: exportBytes,
      orders_export_gib: round(exportBytes / 1024 / MIB),
      cpu_limit_ms: cpuLimit,
      targets: { cpu_ms: cpuLimit / 2, memory_mb: MEMORY_TARGET_MB },
      seconds: Math.round((performance.now() - started) / 1000),
      steps,
      largest: {
        cpu: steps.reduce((a, b) => (b.max_cpu_ms > a.max_cpu_ms ? b : a)),
        memory: steps.reduce((a, b) => (b.max_memory_mb > a.max_memory_mb ? b : a)),
      },
    };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    await control.sql.end({ timeout: 5 });
  } finally {
    simulator.kill();
    await server?.stop();
    await rm(scratch, { recursive: true, force: true });
    if (!values.dir) await rm(dir, { recursive: true, force: true });
  }
}

main(process.argv.slice(2)).catch((error) => {
  console.error(error);
  process.exit(1);
});
