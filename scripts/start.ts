/**
 * `npm start`: the whole system on embedded defaults. Starts embedded Postgres (data kept in
 * .data/), migrates and seeds it, then runs both Workers in one `wrangler dev` session so the
 * queue and cron work across them, and prints where everything is. Ctrl-C stops it all.
 * DATABASE_URL / LEGACY_DATABASE_URL, when set, are used instead of the embedded server.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import postgres from 'postgres';
import { type LocalPostgres, startLocalPostgres } from './lib/local-postgres.ts';
import { migrate, PROJECT_ROOT, seed } from './lib/migrations.ts';
import { ConfigurationError, redact, withDatabase } from './lib/postgres-url.ts';

const DATA_DIR = join(PROJECT_ROOT, '.data');
// The port wrangler.toml's localConnectionString names.
const POSTGRES_PORT = 54329;
const HTTP_PORT = Number(process.env.PORT ?? 8787);
const LEGACY_SCHEMA = join(PROJECT_ROOT, 'test/fixtures/legacy-schema.sql');

function step(message: string): void {
  console.log(`\x1b[36m▸\x1b[0m ${message}`);
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

/** The local legacy database: the vendored legacy schema, loaded once (used by parity checks). */
async function ensureLegacySchema(url: string): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const [row] = await sql<{ loaded: boolean }[]>`select to_regclass('public.profiles') is not null as loaded`;
    if (!row?.loaded) await sql.file(LEGACY_SCHEMA);
  } finally {
    await sql.end();
  }
}

async function waitForHealth(url: string, timeoutMs = 60_000): Promise<unknown> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url);
      if (response.ok) return await response.json();
      lastError = new Error(`${url} answered ${response.status}: ${await response.text()}`);
    } catch (error) {
      lastError = error;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${url} did not become healthy: ${lastError instanceof Error ? lastError.message : lastError}`);
}

async function main(): Promise<void> {
  let server: LocalPostgres | undefined;
  let databaseUrl = process.env.DATABASE_URL;
  let legacyUrl = process.env.LEGACY_DATABASE_URL;
  if (!databaseUrl || !legacyUrl) {
    step(`starting embedded Postgres on 127.0.0.1:${POSTGRES_PORT} (data in .data/postgres)`);
    server = await startLocalPostgres({ dataDir: join(DATA_DIR, 'postgres'), port: POSTGRES_PORT, persistent: true });
    databaseUrl ??= await ensureDatabase(server.adminUrl, 'dashboard');
    legacyUrl ??= await ensureDatabase(server.adminUrl, 'legacy');
  }
  step(`migrating ${redact(databaseUrl)}`);
  await migrate(databaseUrl, { quiet: true });
  await seed(databaseUrl);
  await ensureLegacySchema(legacyUrl);

  step(`starting both Workers under wrangler dev on http://localhost:${HTTP_PORT}`);
  const wrangler = spawn(
    join(PROJECT_ROOT, 'node_modules/.bin/wrangler'),
    [
      'dev',
      '--config',
      'scripts/dev/gateway.wrangler.toml',
      '--config',
      'wrangler.toml',
      '--config',
      'workers/ingest/wrangler.toml',
      '--port',
      String(HTTP_PORT),
      '--persist-to',
      join(DATA_DIR, 'wrangler'),
      '--show-interactive-dev-session=false',
    ],
    {
      cwd: PROJECT_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        WRANGLER_SEND_METRICS: 'false',
        // Both Workers' Hyperdrive bindings point at the local databases.
        CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HYPERDRIVE: databaseUrl,
        CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_LEGACY_HYPERDRIVE: legacyUrl,
      },
    },
  );
  wrangler.stdout.on('data', (chunk) => process.stdout.write(`\x1b[2m[wrangler]\x1b[0m ${chunk}`));
  wrangler.stderr.on('data', (chunk) => process.stderr.write(`\x1b[2m[wrangler]\x1b[0m ${chunk}`));

  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    step('stopping');
    wrangler.kill('SIGINT');
    await new Promise((r) => wrangler.once('exit', r));
    await server?.stop();
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));
  wrangler.on('exit', (code) => {
    if (!stopping) {
      console.error(`wrangler dev exited (${code})`);
      void stop(1);
    }
  });

  const base = `http://localhost:${HTTP_PORT}`;
  await waitForHealth(`${base}/health`);
  await waitForHealth(`${base}/ingest/health`);
  console.log(`
\x1b[32mready\x1b[0m
  dashboard-api   ${base}/            (health: ${base}/health)
  ingest          ${base}/ingest/     (health: ${base}/ingest/health)
  database        ${redact(databaseUrl)}
Press Ctrl-C to stop.`);
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigurationError ? error.message : error);
  process.exit(1);
});
