/**
 * The one way Workers reach Postgres: a postgres.js client per request or queue invocation over a
 * Hyperdrive binding (Hyperdrive pools the real connections), wrapped by drizzle for typed
 * queries, and closed with ctx.waitUntil so the response is not held up.
 */
import postgres from 'postgres';
import './postgres-close-workaround.ts';
import { drizzleClient } from './transaction.ts';
import type { Db, Sql } from './types.ts';

export interface Database {
  sql: Sql;
  db: Db;
}

export function openDatabase(hyperdrive: Hyperdrive): Database {
  const sql = postgres(hyperdrive.connectionString, {
    // Hyperdrive pools upstream; a few connections per invocation let independent queries overlap.
    max: 5,
    // Saves a round trip per connection; array columns are parsed by drizzle or cast in SQL.
    fetch_types: false,
    // postgres.js reads sslmode=disable (which Hyperdrive's connection strings carry) as truthy
    // and negotiates TLS anyway; say what the connection string means.
    ssl: new URL(hyperdrive.connectionString).searchParams.get('sslmode') === 'disable' ? false : 'prefer',
    onnotice: () => {},
    connection: { application_name: 'shopify-dashboard-worker' },
  });
  return { sql, db: drizzleClient(sql) };
}

/** Closes the client after the response: the invocation stays alive until it has ended. */
export function closeDatabase(database: Database, ctx: Pick<ExecutionContext, 'waitUntil'>): void {
  ctx.waitUntil(database.sql.end({ timeout: 5 }));
}

/** Opens a client for one unit of work and always closes it afterwards. */
export async function withDatabase<T>(
  hyperdrive: Hyperdrive,
  ctx: Pick<ExecutionContext, 'waitUntil'>,
  work: (database: Database) => Promise<T>,
): Promise<T> {
  const database = openDatabase(hyperdrive);
  try {
    return await work(database);
  } finally {
    closeDatabase(database, ctx);
  }
}
