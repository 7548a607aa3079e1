/**
 * Schema migrations: dbmate owns them (db/migrations); this wrapper adds a Postgres advisory
 * lock so two deploys cannot migrate one database at once, and plain-language errors.
 */
import { spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { ConfigurationError, redact } from './postgres-url.ts';

export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const MIGRATIONS_DIR = `${PROJECT_ROOT}db/migrations`;
export const SEED_FILE = `${PROJECT_ROOT}db/seed.sql`;

/** Arbitrary but fixed: the advisory lock key every migrating process agrees on. */
const MIGRATION_LOCK_KEY = 7_340_211_905;

export type DbmateCommand = 'up' | 'rollback' | 'status' | 'migrate';

/** dbmate talks lib/pq, which wants sslmode spelled out for a local server without TLS. */
function dbmateUrl(url: string): string {
  const u = new URL(url);
  const local = ['localhost', '127.0.0.1', '::1', '[::1]'].includes(u.hostname);
  if (local && !u.searchParams.has('sslmode')) u.searchParams.set('sslmode', 'disable');
  return u.toString();
}

export async function runDbmate(
  url: string,
  command: DbmateCommand,
  options: { quiet?: boolean } = {},
): Promise<string> {
  const bin = `${PROJECT_ROOT}node_modules/.bin/dbmate`;
  const args = ['--migrations-dir', MIGRATIONS_DIR, '--no-dump-schema', '--wait', '--wait-timeout', '30s', command];
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { env: { ...process.env, DATABASE_URL: dbmateUrl(url) } });
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
      if (!options.quiet) process.stdout.write(chunk);
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
      if (!options.quiet) process.stderr.write(chunk);
    });
    child.on('error', (error) => reject(new ConfigurationError(`could not run dbmate (${error.message}); run npm ci`)));
    child.on('close', (code) => {
      if (code === 0) resolve(output);
      else reject(new Error(`dbmate ${command} failed against ${redact(url)}:\n${output.trim()}`));
    });
  });
}

/**
 * Runs a dbmate command while holding the migration advisory lock on the target database.
 * A second caller waits (up to `lockTimeoutMs`) instead of migrating concurrently.
 */
export async function withMigrationLock<T>(url: string, work: () => Promise<T>, lockTimeoutMs = 120_000): Promise<T> {
  const sql = postgres(url, { max: 1, onnotice: () => {}, connect_timeout: 30 });
  try {
    await sql`select 1`.catch((error: Error) => {
      throw new ConfigurationError(`cannot connect to ${redact(url)}: ${error.message}`);
    });
    const deadline = Date.now() + lockTimeoutMs;
    for (;;) {
      const [row] = await sql<{ locked: boolean }[]>`select pg_try_advisory_lock(${MIGRATION_LOCK_KEY}) as locked`;
      if (row?.locked) break;
      if (Date.now() > deadline) {
        throw new Error(`another process has held the migration lock on ${redact(url)} for over ${lockTimeoutMs} ms`);
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    try {
      return await work();
    } finally {
      await sql`select pg_advisory_unlock(${MIGRATION_LOCK_KEY})`;
    }
  } finally {
    await sql.end({ timeout: 5 });
  }
}

export async function migrate(url: string, options: { quiet?: boolean } = {}): Promise<void> {
  await withMigrationLock(url, () => runDbmate(url, 'up', options));
}

export async function rollback(url: string): Promise<void> {
  await withMigrationLock(url, () => runDbmate(url, 'rollback'));
}

export async function seed(url: string): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await sql.file(SEED_FILE);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** The newest migration version on disk, e.g. "20261122000400". */
export async function latestMigrationVersion(): Promise<string> {
  const files = (await readdir(MIGRATIONS_DIR)).filter((f) => f.endsWith('.sql')).sort();
  const last = files.at(-1);
  if (!last) throw new Error(`no migrations in ${MIGRATIONS_DIR}`);
  return last.split('_')[0] as string;
}
