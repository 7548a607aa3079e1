/**
 * Fault: Postgres restarted during a sync, at the layer where that is real — the ingest Worker
 * under `wrangler dev` (its real queue consumer, R2 and Hyperdrive local connection) syncing a
 * simulated store into a dedicated embedded Postgres, which the test stops (a fast shutdown: every
 * backend is terminated) and starts again while a load step is running. The step is given back to
 * the queue, redelivered, and the sync ends with the same raw rows as the legacy functions on the
 * same store. The load step is caught mid-statement deterministically: a lock the test holds
 * makes its first upsert wait, and the restart happens once it waits.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeDevConfigs } from '../../scripts/dev/dev-configs.ts';
import { freePort, type LocalPostgres, startLocalPostgres } from '../../scripts/lib/local-postgres.ts';
import { migrate, PROJECT_ROOT } from '../../scripts/lib/migrations.ts';
import { withDatabase } from '../../scripts/lib/postgres-url.ts';
import { type ShopifySimulator, startShopifySimulator } from '../../scripts/shopify-simulator/server.ts';
import { generateStore, type StoreOptions } from '../../scripts/store-generator/generate.ts';
import { expectSameTables, recordFault } from '../support/reliability.ts';
import { compareRawTables, ingestLegacy, RAW_LEGACY_TABLES } from '../workers/ingest/support/raw-tables.ts';

const STORE: StoreOptions = { seed: 71, products: 30, orders: 120, shuffleChildren: true };
const NIGHTLY_FULL_SYNC = '0 3 * * *';
const LEGACY_SCHEMA = new URL('../fixtures/legacy-schema.sql', import.meta.url).pathname;

let dataDir: string;
let stateDir: string;
let port: number;
let server: LocalPostgres | undefined;
let simulator: ShopifySimulator | undefined;
let wrangler: ChildProcess | undefined;
let appUrl: string;
let legacyUrl: string;
const wranglerLog: string[] = [];

const quiet = { max: 2, onnotice: () => {} } as const;

async function startServer(): Promise<LocalPostgres> {
  return startLocalPostgres({ dataDir, port, persistent: true });
}

/** A query that rides out the restart: connection errors are retried until the deadline. */
async function patiently<T>(run: () => Promise<T>, deadline: number): Promise<T> {
  for (;;) {
    try {
      return await run();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'restart-pg-'));
  stateDir = await mkdtemp(join(tmpdir(), 'restart-wrangler-'));
  port = await freePort();
  server = await startServer();
  appUrl = withDatabase(server.adminUrl, 'dashboard');
  legacyUrl = withDatabase(server.adminUrl, 'legacy');
  const admin = postgres(server.adminUrl, quiet);
  await admin`create database dashboard`;
  await admin`create database legacy`;
  await admin.end();
  await migrate(appUrl, { quiet: true });
  const legacy = postgres(legacyUrl, quiet);
  await legacy.file(LEGACY_SCHEMA);
  await ingestLegacy(legacy, generateStore(STORE).legacy);
  await legacy.end();

  simulator = await startShopifySimulator({ generate: STORE, config: { timing: { createdMs: 20, runningMs: 200 } } });
  const configs = await writeDevConfigs(join(stateDir, 'config'), {
    vars: {
      'dashboard-api': {},
      ingest: {
        SHOPIFY_SHOP_DOMAIN: simulator.shopDomain,
        SHOPIFY_ADMIN_API_URL: simulator.adminApiUrl,
        SHOPIFY_ACCESS_TOKEN: simulator.accessToken,
        SHOPIFY_WEBHOOK_SECRET: simulator.webhookSecret,
      },
    },
    hyperdrive: { HYPERDRIVE: appUrl, LEGACY_HYPERDRIVE: legacyUrl },
  });
  const workerPort = await freePort();
  wrangler = spawn(
    join(PROJECT_ROOT, 'node_modules/.bin/wrangler'),
    [
      'dev',
      '--config',
      configs.find((path) => path.endsWith('ingest.wrangler.json')) as string,
      '--port',
      String(workerPort),
      '--ip',
      '127.0.0.1',
      '--inspector-port',
      '0',
      '--test-scheduled',
      '--persist-to',
      join(stateDir, 'wrangler'),
      '--show-interactive-dev-session=false',
    ],
    { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, WRANGLER_SEND_METRICS: 'false' } },
  );
  const keep = (chunk: Buffer) => {
    wranglerLog.push(String(chunk));
    if (wranglerLog.length > 400) wranglerLog.shift();
  };
  wrangler.stdout?.on('data', keep);
  wrangler.stderr?.on('data', keep);
  workerUrl = `http://127.0.0.1:${workerPort}`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    const ok = await fetch(`${workerUrl}/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline || wrangler.exitCode !== null) {
      throw new Error(`the ingest Worker did not come up:\n${wranglerLog.join('')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}, 240_000);

let workerUrl = '';

afterAll(async () => {
  if (wrangler && wrangler.exitCode === null) {
    const gone = new Promise((resolve) => wrangler?.once('exit', resolve));
    wrangler.kill('SIGINT');
    const killer = setTimeout(() => wrangler?.kill('SIGKILL'), 10_000);
    await gone;
    clearTimeout(killer);
  }
  await simulator?.close();
  await server?.stop();
  await rm(dataDir, { recursive: true, force: true });
  await rm(stateDir, { recursive: true, force: true });
}, 60_000);

describe('Postgres restarted during a sync (the ingest Worker under wrangler dev)', () => {
  it('fault: restarted while the products load waits in a statement — the step is redelivered and the sync ends with the rows of a clean run', {
    tags: ['fault'],
    timeout: 300_000,
  }, async () => {
    // The products load's first upsert into material_artifact waits behind this lock; the lock's
    // connection stays idle until the restart ends it.
    const holderClient = postgres(appUrl, { max: 1, onnotice: () => {} });
    const holder = await holderClient.reserve();
    await holder`begin`;
    await holder`lock table material_artifact in exclusive mode`;
    const [{ pid: holderPid } = { pid: 0 }] = await holder<{ pid: number }[]>`select pg_backend_pid() as pid`;

    const fired = await fetch(`${workerUrl}/__scheduled?cron=${encodeURIComponent(NIGHTLY_FULL_SYNC)}`);
    await fired.body?.cancel();
    const watcher = postgres(appUrl, quiet);
    const waitingUntil = Date.now() + 120_000;
    let waiting: { pid: number; query: string } | undefined;
    while (!waiting) {
      [waiting] = await watcher<{ pid: number; query: string }[]>`
          select pid, query from pg_stat_activity where ${holderPid}::int = any(pg_blocking_pids(pid))`;
      if (waiting) break;
      if (Date.now() > waitingUntil) throw new Error(`no load came to wait on the lock:\n${wranglerLog.join('')}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // no query of this process in flight when the server goes away
    await watcher.end({ timeout: 5 });
    expect(waiting.query).toMatch(/insert into material_artifact/);

    // The restart: a fast shutdown terminates every backend (the load's, the lock holder's).
    await server?.stop();
    server = await startServer();
    void holderClient.end({ timeout: 0 }).catch(() => {});

    // Fresh clients: the old ones' connections died with the server.
    const sql = postgres(appUrl, quiet);
    const legacy = postgres(legacyUrl, quiet);
    try {
      const deadline = Date.now() + 240_000;
      let sync: { status: string } | undefined;
      while (sync?.status !== 'succeeded' && sync?.status !== 'failed') {
        if (Date.now() > deadline) throw new Error(`the sync did not finish:\n${wranglerLog.join('')}`);
        await new Promise((resolve) => setTimeout(resolve, 1000));
        [sync] = await patiently(
          () => sql<{ status: string }[]>`select status from procedure_execution where procedure_kind = 'full'`,
          deadline,
        );
      }
      const executions = await sql<{ kind: string; status: string; attempts: number; error: string | null }[]>`
          select procedure_kind as kind, status, attempt_count as attempts, error_text as error
          from procedure_execution order by requested_at`;
      expect(
        executions.filter((e) => e.status !== 'succeeded'),
        JSON.stringify(executions),
      ).toEqual([]);
      // the load that waited was interrupted, given back to the queue and claimed again
      recordFault(
        'Postgres restarted during a sync',
        `a fast shutdown and start of the server while backend ${waiting.pid} waited in: ${waiting.query.slice(0, 60)}`,
        `the Worker logged "${/step interrupted by a transient database error[^"]*/.exec(wranglerLog.join(''))?.[0] ?? '(nothing)'}"; load attempts ${executions
          .filter((e) => e.kind === 'load')
          .map((e) => e.attempts)
          .join(', ')}`,
      );
      expect(wranglerLog.join('')).toContain('step interrupted by a transient database error');
      expect(executions.filter((e) => e.kind === 'load').map((e) => e.attempts)).toContain(2);

      const compared = await compareRawTables(legacy, sql);
      const side = (name: 'legacy' | 'new') =>
        Object.fromEntries(RAW_LEGACY_TABLES.map((table) => [table, compared[table]?.[name] ?? []]));
      expectSameTables(side('legacy'), side('new'));
    } finally {
      await sql.end({ timeout: 5 });
      await legacy.end({ timeout: 5 });
    }
  });
});
