/**
 * `npm run ingest:fixture -- <fixture-folder>`: loads a store fixture folder end to end through the
 * real path and prints a JSON summary:
 *
 *   Shopify simulator serving the folder → the ingest Worker under `wrangler dev` (its real queue
 *   consumer, R2 and crons, in miniflare) → Postgres at DATABASE_URL
 *
 * The nightly full sync's Cron Trigger is fired (`/__scheduled`), the CLI follows the recorded
 * ProcedureExecutions in the database until the sync has finished, then prints what ran (each
 * execution with its seconds: the per-phase times), what was archived, what was quarantined, the
 * raw tables' row counts, and the rate-limit bound (rate_limit: the points the queries actually
 * cost ÷ the bucket's restore rate, plus the loads' time, against the sync's wall time). Exit 0
 * when the sync succeeded.
 *
 * DATABASE_URL (required) is migrated first; LEGACY_DATABASE_URL is optional (the sync never reads
 * it; the binding falls back to DATABASE_URL). --timeout <seconds> (default 900), --keep-archive
 * keeps the temporary R2/queue state directory. A fixture folder is what `npm run ingest:generate`
 * writes, or any folder of Shopify JSONL files (e.g. ../shared/fixtures/shopify-real).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import { rawTableCounts } from '../workers/shared/ingest/raw-counts.ts';
import { writeDevConfigs } from './dev/dev-configs.ts';
import { freePort } from './lib/local-postgres.ts';
import { migrate, PROJECT_ROOT } from './lib/migrations.ts';
import { redact, requireDatabaseUrl } from './lib/postgres-url.ts';
import { startShopifySimulator } from './shopify-simulator/server.ts';

const USAGE =
  'usage: DATABASE_URL=postgres://… npm run ingest:fixture -- <fixture-folder> [--timeout 900] [--keep-archive]';
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
      if (response.ok) return;
      last = `${response.status} ${await response.text()}`;
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
        options: { timeout: { type: 'string', default: '900' }, 'keep-archive': { type: 'boolean', default: false } },
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
  const state = await mkdtemp(join(tmpdir(), 'ingest-fixture-'));
  const port = await freePort();
  const ingestUrl = `http://127.0.0.1:${port}`;
  const simulator = await startShopifySimulator({
    port: 0,
    fixtureDir: folder,
    webhookUrl: `${ingestUrl}/webhooks/shopify`,
  });
  say(`Shopify simulator on ${simulator.url} serving ${folder} (${simulator.shopDomain})`);
  let wrangler: ChildProcess | undefined;
  let exit: string | null = null;
  const sql = postgres(databaseUrl, { max: 2, onnotice: () => {} });
  try {
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
    wrangler = spawn(
      join(PROJECT_ROOT, 'node_modules/.bin/wrangler'),
      [
        'dev',
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

    say(`firing the nightly full sync (cron "${NIGHTLY_FULL_SYNC}")`);
    const fired = await fetch(`${ingestUrl}/__scheduled?cron=${encodeURIComponent(NIGHTLY_FULL_SYNC)}`);
    await fired.body?.cancel();
    const [sync] = await sql<{ id: string }[]>`
      select procedure_execution_id as id from procedure_execution
      where procedure_kind = 'full' and trigger_source = ${`cron:${NIGHTLY_FULL_SYNC}`} and requested_at >= ${startedAt}
      order by requested_at desc limit 1`;
    if (!sync) {
      throw new Error('the cron did not record a full sync (is another full sync of this database still active?)');
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
    const summarized = await summarize(sql, sync.id, folder);
    const summary = { ...summarized, rate_limit: rateLimitBound(simulator, summarized) };
    console.log(JSON.stringify(summary, null, 2));
    return summary.sync.status === 'succeeded' ? 0 : 1;
  } finally {
    if (wrangler && exit === null) {
      const gone = new Promise((r) => wrangler?.once('exit', r));
      wrangler.kill('SIGINT');
      const killer = setTimeout(() => wrangler?.kill('SIGKILL'), 10_000);
      await gone;
      clearTimeout(killer);
    }
    await simulator.close();
    await sql.end({ timeout: 5 });
    if (!values['keep-archive']) await rm(state, { recursive: true, force: true });
    else say(`R2 and queue state kept in ${state}`);
  }
}

/**
 * The rate-limit bound of what the sync asked Shopify: the points its queries actually cost, as
 * the simulator charged them, over the bucket's restore rate — no client can be faster. The sync's
 * wall time is compared with this plus the time its loads took (per_phase `load` executions).
 */
function rateLimitBound(
  simulator: Awaited<ReturnType<typeof startShopifySimulator>>,
  summary: Awaited<ReturnType<typeof summarize>>,
) {
  const requests = simulator.requests();
  const actual = requests.reduce((sum, r) => sum + (r.actualQueryCost ?? 0), 0);
  const requested = requests.reduce((sum, r) => sum + (r.requestedQueryCost ?? 0), 0);
  const { restoreRate } = simulator.configure({}).bucket;
  const bound = actual / restoreRate;
  const loads = summary.executions.filter((e) => e.kind === 'load').reduce((sum, e) => sum + (e.seconds ?? 0), 0);
  const round = (n: number) => Math.round(n * 10) / 10;
  return {
    requests: requests.length,
    throttled: requests.filter((r) => r.outcome === 'throttled').length,
    max_cost_exceeded: requests.filter((r) => r.outcome === 'max-cost-exceeded').length,
    actual_cost_points: actual,
    requested_cost_points: requested,
    restore_rate: restoreRate,
    bound_seconds: round(bound),
    load_seconds: round(loads),
    bound_plus_load_seconds: round(bound + loads),
    sync_over_bound: summary.sync.seconds ? Math.round((summary.sync.seconds / (bound + loads)) * 100) / 100 : null,
  };
}

async function summarize(sql: postgres.Sql, id: string, folder: string) {
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
