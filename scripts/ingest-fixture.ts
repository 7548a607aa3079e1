/**
 * `npm run ingest:fixture -- <fixture-folder>`: loads a store fixture folder end to end through the
 * real path and prints a JSON summary:
 *
 *   Shopify simulator serving the folder → the ingest Worker under `wrangler dev` (its real queue
 *   consumer, R2 and crons, in miniflare, behind the dev gateway) → Postgres at DATABASE_URL
 *
 * The nightly full sync's Cron Trigger is fired (`/__scheduled`), the CLI follows the recorded
 * ProcedureExecutions in the database until the sync has finished, then prints what ran, what was
 * archived, what was quarantined and the raw tables' row counts, each phase's time, and the
 * simulator's cost totals with the rate-limit bound they set (Σ actual query cost ÷ restore rate
 * + the load time) next to the sync's wall time. Exit 0 when the sync succeeded.
 *
 * A full sync an earlier run left unfinished on the same database (stopped, killed, crashed) is
 * followed instead of starting another: the steps its stop killed are given back and its lost
 * queue messages re-sent (scripts/lib/resume-executions.ts, as `npm start` does). Its R2 and queue
 * state folder is kept per database until a sync finishes, so the resumed run finds its exports.
 *
 * DATABASE_URL (required) is migrated first; LEGACY_DATABASE_URL is optional (the sync never reads
 * it; the binding falls back to DATABASE_URL). --timeout <seconds> (default 3600), --keep-archive
 * keeps the R2/queue state directory after a finished sync too. A fixture folder is what `npm run ingest:generate`
 * writes, or any folder of Shopify JSONL files (e.g. ../shared/fixtures/shopify-real).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import type { Sql } from '#shared/db/types.ts';
import { rawTableCounts } from '../workers/shared/ingest/raw-counts.ts';
import { GATEWAY_CONFIG, writeDevConfigs } from './dev/dev-configs.ts';
import { freePort } from './lib/local-postgres.ts';
import { migrate, PROJECT_ROOT } from './lib/migrations.ts';
import { redact, requireDatabaseUrl } from './lib/postgres-url.ts';
import { keepExecutionsMoving, releaseInterruptedSteps, unfinishedRun } from './lib/resume-executions.ts';
import { type CostTotals, startShopifySimulator } from './shopify-simulator/server.ts';

/** Long enough for a first full sync of a 200 000-order store at 100 points/s (about 35 min). */
const DEFAULT_TIMEOUT_SECONDS = 3600;
const USAGE = `usage: DATABASE_URL=postgres://… npm run ingest:fixture -- <fixture-folder> [--timeout ${DEFAULT_TIMEOUT_SECONDS}] [--keep-archive]`;
const NIGHTLY_FULL_SYNC = '0 3 * * *';

class UsageError extends Error {}

const say = (message: string) => console.error(`\x1b[2m[ingest:fixture]\x1b[0m ${message}`);

async function waitForHealth(url: string, deadline: number, exited: () => string | null): Promise<void> {
  let last = '';
  while (Date.now() < deadline) {
    const gone = exited();
    if (gone) throw new Error(`wrangler dev exited before the Worker was up (${gone})`);
    try {
      const response = await fetch(url);
      const text = await response.text();
      // Up: degraded too (a stalled execution of an unfinished run degrades /health).
      if (response.ok || /"status":"degraded"/.test(text)) return;
      last = `${response.status} ${text}`;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${url} did not become healthy: ${last}`);
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = (() => {
    try {
      return parseArgs({
        args: argv,
        allowPositionals: true,
        options: {
          timeout: { type: 'string', default: String(DEFAULT_TIMEOUT_SECONDS) },
          'keep-archive': { type: 'boolean', default: false },
        },
      });
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
  })();
  const folder = positionals[0] ? resolve(positionals[0]) : undefined;
  if (!folder || positionals.length > 1) throw new UsageError('name one fixture folder');
  if (!existsSync(folder)) throw new UsageError(`no such folder: ${folder}`);
  const timeoutMs = Number(values.timeout) * 1000;
  if (!(timeoutMs > 0)) throw new UsageError('--timeout must be a number of seconds');
  const databaseUrl = requireDatabaseUrl();
  const legacyUrl = process.env.LEGACY_DATABASE_URL || databaseUrl;
  const startedAt = new Date();
  const deadline = Date.now() + timeoutMs;

  say(`migrating ${redact(databaseUrl)}`);
  await migrate(databaseUrl, { quiet: true });
  // One state folder per database: a run that follows an unfinished one finds its R2 exports.
  const state = join(tmpdir(), `ingest-fixture-${createHash('sha256').update(databaseUrl).digest('hex').slice(0, 16)}`);
  await mkdir(state, { recursive: true });
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const ingestUrl = `${baseUrl}/ingest`;
  const simulator = await startShopifySimulator({
    port: 0,
    fixtureDir: folder,
    webhookUrl: `${ingestUrl}/webhooks/shopify`,
  });
  say(`Shopify simulator on ${simulator.url} serving ${folder} (${simulator.shopDomain})`);
  let wrangler: ChildProcess | undefined;
  let exit: string | null = null;
  let finished = false;
  let stopRequeue: (() => Promise<void>) | undefined;
  const sql = postgres(databaseUrl, { max: 2, onnotice: () => {} });
  try {
    const unfinished = await unfinishedRun(sql, 'full');
    if (unfinished) {
      const released = await releaseInterruptedSteps(sql, { rootId: unfinished.id });
      say(
        `following the full sync an earlier run left ${unfinished.status} (${unfinished.id}, requested ${unfinished.requested_at.toISOString()})${released ? `; ${released} step(s) its stop killed will resume` : ''}`,
      );
    }
    const configs = await writeDevConfigs(join(state, 'config'), {
      vars: {
        'dashboard-api': {},
        ingest: {
          SHOPIFY_SHOP_DOMAIN: simulator.shopDomain,
          SHOPIFY_ADMIN_API_URL: simulator.adminApiUrl,
          SHOPIFY_ACCESS_TOKEN: simulator.accessToken,
          SHOPIFY_WEBHOOK_SECRET: simulator.webhookSecret,
        },
      },
      hyperdrive: { HYPERDRIVE: databaseUrl, LEGACY_HYPERDRIVE: legacyUrl },
    });
    const ingestConfig = configs.find((path) => path.endsWith('ingest.wrangler.json')) as string;
    say(`starting the ingest Worker under wrangler dev on ${ingestUrl}`);
    // Behind the dev gateway, whose POST /__dev/requeue re-sends lost queue messages.
    wrangler = spawn(
      join(PROJECT_ROOT, 'node_modules/.bin/wrangler'),
      [
        'dev',
        '--config',
        GATEWAY_CONFIG,
        '--config',
        ingestConfig,
        '--port',
        String(port),
        '--ip',
        '127.0.0.1',
        '--inspector-port',
        '0',
        '--test-scheduled',
        '--persist-to',
        join(state, 'wrangler'),
        '--show-interactive-dev-session=false',
      ],
      { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, WRANGLER_SEND_METRICS: 'false' } },
    );
    const log: string[] = [];
    const keep = (chunk: Buffer) => {
      log.push(String(chunk));
      if (log.length > 200) log.shift();
    };
    wrangler.stdout?.on('data', keep);
    wrangler.stderr?.on('data', keep);
    wrangler.on('exit', (code, signal) => {
      exit = `code ${code ?? signal}`;
    });
    try {
      await waitForHealth(`${ingestUrl}/health`, deadline, () => exit);
    } catch (error) {
      console.error(log.join(''));
      throw error;
    }

    stopRequeue = keepExecutionsMoving(sql, `${baseUrl}/__dev/requeue`, say);

    let sync: { id: string } | undefined = unfinished ?? undefined;
    if (!sync) {
      say(`firing the nightly full sync (cron "${NIGHTLY_FULL_SYNC}")`);
      const fired = await fetch(`${baseUrl}/__scheduled?cron=${encodeURIComponent(NIGHTLY_FULL_SYNC)}`);
      await fired.body?.cancel();
      [sync] = await sql<{ id: string }[]>`
        select procedure_execution_id as id from procedure_execution
        where procedure_kind = 'full' and trigger_source = ${`cron:${NIGHTLY_FULL_SYNC}`} and requested_at >= ${startedAt}
        order by requested_at desc limit 1`;
    }
    if (!sync) {
      const blocking = await unfinishedRun(sql, 'full');
      throw new Error(
        blocking
          ? `the cron did not record a full sync: full sync ${blocking.id} (${blocking.status}) started meanwhile; run this command again to follow it`
          : 'the cron did not record a full sync',
      );
    }
    let shown = '';
    for (;;) {
      const rows = await sql<{ procedure_kind: string; status: string; depth: number }[]>`
        with recursive tree as (
          select procedure_execution_id, procedure_kind, status, requested_at, 0 as depth
          from procedure_execution where procedure_execution_id = ${sync.id}
          union all
          select c.procedure_execution_id, c.procedure_kind, c.status, c.requested_at, tree.depth + 1
          from procedure_execution c join tree on c.parent_procedure_execution_id = tree.procedure_execution_id)
        select procedure_kind, status, depth from tree order by depth, requested_at`;
      const line = rows.map((r) => `${'  '.repeat(r.depth)}${r.procedure_kind}:${r.status}`).join(' ');
      if (line !== shown) {
        shown = line;
        say(line);
      }
      const root = rows[0];
      if (root && ['succeeded', 'failed'].includes(root.status)) break;
      if (exit) throw new Error(`wrangler dev exited during the sync (${exit})\n${log.join('')}`);
      if (Date.now() > deadline) throw new Error(`the sync did not finish within ${values.timeout} s`);
      await new Promise((r) => setTimeout(r, 1000));
    }
    finished = true;
    const summary = await summarize(sql, sync.id, folder, simulator.totals());
    console.log(JSON.stringify(summary, null, 2));
    return summary.sync.status === 'succeeded' ? 0 : 1;
  } finally {
    await stopRequeue?.();
    if (wrangler && exit === null) {
      const gone = new Promise((r) => wrangler?.once('exit', r));
      wrangler.kill('SIGINT');
      const killer = setTimeout(() => wrangler?.kill('SIGKILL'), 10_000);
      await gone;
      clearTimeout(killer);
    }
    await simulator.close();
    await sql.end({ timeout: 5 });
    // An unfinished sync keeps its state for the run that follows it.
    if (finished && !values['keep-archive']) await rm(state, { recursive: true, force: true });
    else say(`R2 and queue state kept in ${state}`);
  }
}

async function summarize(sql: Sql, id: string, folder: string, cost: CostTotals) {
  const [sync] = await sql<
    { status: string; error_text: string | null; rows: number; seconds: number; requested_at: Date }[]
  >`
    select status, error_text, rows_processed_count as rows, requested_at,
           extract(epoch from finished_at - requested_at)::float8 as seconds
    from procedure_execution where procedure_execution_id = ${id}`;
  const executions = await sql<
    {
      kind: string;
      status: string;
      rows: number;
      steps: number;
      attempts: number;
      seconds: number | null;
      error: string | null;
    }[]
  >`
    with recursive tree as (
      select procedure_execution_id, requested_at from procedure_execution where procedure_execution_id = ${id}
      union all
      select c.procedure_execution_id, c.requested_at
      from procedure_execution c join tree on c.parent_procedure_execution_id = tree.procedure_execution_id)
    select e.procedure_kind as kind, e.status, e.rows_processed_count as rows, e.step_count as steps,
           e.attempt_count as attempts,
           round(extract(epoch from e.finished_at - coalesce(e.started_at, e.requested_at))::numeric, 1)::float8 as seconds,
           e.error_text as error
    from tree join procedure_execution e using (procedure_execution_id)
    where e.procedure_execution_id <> ${id}
    order by e.requested_at`;
  const archive = await sql<{ key: string; resource: string; lines: number; bytes: number; stored_bytes: number }[]>`
    select object_key as key, resource_name as resource, line_count::float8 as lines, byte_count::float8 as bytes,
           stored_byte_count::float8 as stored_bytes
    from information_bearing_entity where created_at >= ${sync?.requested_at ?? new Date(0)}
    order by created_at`;
  const quarantine = await sql<{ resource: string; reason: string; lines: number }[]>`
    select q.resource_name as resource, regexp_replace(q.reason_text, '\\d{3,}', 'N', 'g') as reason,
           count(*)::int as lines
    from quarantined_line q
    where q.created_at >= ${sync?.requested_at ?? new Date(0)}
    group by 1, 2 order by 3 desc limit 20`;
  const cursors = await sql`select resource_name, window_end_at from sync_cursor order by 1`;
  return {
    fixture: folder,
    sync: {
      procedure_execution_id: id,
      status: sync?.status,
      error: sync?.error_text ?? null,
      rows_processed: sync?.rows,
      seconds: sync?.seconds,
    },
    executions,
    archive,
    quarantine,
    cursors: Object.fromEntries(cursors.map((c) => [c.resource_name, c.window_end_at])),
    tables: await rawTableCounts(sql),
    ...(await timing(sql, id, cost)),
  };
}

interface TimedExecution {
  id: string;
  parent: string | null;
  kind: string;
  requested: number;
  finished: number | null;
}

/**
 * Each phase's seconds, from the recorded executions: the full sync's children, and inside the
 * orders child its bulk operation and download, its export's load, and the refunds phase (from
 * that load's end to the orders child's end). The rate-limit bound is the time the cost bucket
 * alone needs (Σ actual cost ÷ restore rate) plus the time the database needs for the loads.
 */
async function timing(sql: Sql, id: string, cost: CostTotals) {
  const rows = await sql<TimedExecution[]>`
    with recursive tree as (
      select procedure_execution_id, parent_procedure_execution_id from procedure_execution
      where procedure_execution_id = ${id}
      union all
      select c.procedure_execution_id, c.parent_procedure_execution_id
      from procedure_execution c join tree on c.parent_procedure_execution_id = tree.procedure_execution_id)
    select e.procedure_execution_id as id, e.parent_procedure_execution_id as parent, e.procedure_kind as kind,
           extract(epoch from e.requested_at)::float8 as requested, extract(epoch from e.finished_at)::float8 as finished
    from tree join procedure_execution e using (procedure_execution_id)
    order by e.requested_at`;
  const seconds = (from: number | undefined, to: number | null | undefined) =>
    from === undefined || to === null || to === undefined ? null : Math.round((to - from) * 10) / 10;
  const root = rows.find((row) => row.id === id);
  const children = rows.filter((row) => row.parent === id);
  const child = (kind: string) => children.find((row) => row.kind === kind);
  const loadOf = (parent: TimedExecution | undefined) =>
    parent ? rows.find((row) => row.parent === parent.id && row.kind === 'load') : undefined;
  const orders = child('orders');
  const ordersLoad = loadOf(orders);
  const loads = rows.filter((row) => row.kind === 'load' && row.finished !== null);
  const loadSeconds = loads.reduce((sum, row) => sum + ((row.finished as number) - row.requested), 0);
  const marts = child('marts');
  const martsSeconds = seconds(marts?.requested, marts?.finished) ?? 0;
  const bucketSeconds = cost.actualQueryCost / cost.bucket.restoreRate;
  const wall = seconds(root?.requested, root?.finished);
  const bound = bucketSeconds + loadSeconds;
  const round = (value: number) => Math.round(value * 10) / 10;
  return {
    phases: {
      products: seconds(child('products')?.requested, child('products')?.finished),
      orders_bulk_operation_and_download: seconds(orders?.requested, ordersLoad?.requested),
      orders_load: seconds(ordersLoad?.requested, ordersLoad?.finished),
      refunds: seconds(ordersLoad?.finished ?? undefined, orders?.finished),
      deletions: seconds(child('load')?.requested, child('load')?.finished),
      marts: seconds(marts?.requested, marts?.finished),
      total: wall,
    },
    shopify_cost: {
      queries: cost.queries,
      requested_query_cost: cost.requestedQueryCost,
      actual_query_cost: cost.actualQueryCost,
      throttled: cost.throttled,
      max_cost_exceeded: cost.maxCostExceeded,
      restore_rate: cost.bucket.restoreRate,
      maximum_available: cost.bucket.maximumAvailable,
    },
    rate_limit_bound: {
      bucket_seconds: round(bucketSeconds),
      load_seconds: round(loadSeconds),
      seconds: round(bound),
      wall_seconds: wall,
      ratio: wall === null ? null : Math.round((wall / bound) * 100) / 100,
      // the touched-keys marts refresh the sync ends with is database work too
      ratio_with_marts: wall === null ? null : Math.round((wall / (bound + martsSeconds)) * 100) / 100,
    },
  };
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(
      error instanceof UsageError ? `${error.message}\n${USAGE}` : error instanceof Error ? error.message : error,
    );
    process.exit(error instanceof UsageError ? 2 : 1);
  },
);
