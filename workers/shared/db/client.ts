/**
 * The one way Workers reach Postgres: a postgres.js client per request or queue invocation over a
 * Hyperdrive binding (Hyperdrive pools the real connections), wrapped by drizzle for typed
 * queries, and closed with ctx.waitUntil so the response is not held up.
 */
import { sql as sqlText } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import * as schema from '#db/schema.ts';
import './postgres-close-workaround.ts';
import type { Db, Queryable, Sql } from './types.ts';

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
  const db = drizzle(sql, { schema });
  handles.set(sql, db);
  return { sql, db };
}

/** The drizzle handle of each client openDatabase made, so drizzleOf(sql) finds the invocation's own. */
const handles = new WeakMap<Queryable, Db>();

/**
 * The typed (drizzle) handle over a postgres.js client, reserved connection or transaction: the
 * invocation's own for a client from openDatabase; for another (a transaction, a test's or a
 * script's client) drizzle over a view with its own parser table, so drizzle's switch to text
 * timestamps (it rewrites the client's parsers) does not change what that client's other queries return.
 */
export function drizzleOf(sql: Queryable): Db {
  let db = handles.get(sql);
  if (!db) {
    const own = (sql as Partial<Sql>).options;
    const options = { parsers: { ...own?.parsers }, serializers: { ...own?.serializers } };
    const view = new Proxy(sql, { get: (target, key) => (key === 'options' ? options : Reflect.get(target, key)) });
    db = drizzle(view as Sql, { schema });
    handles.set(sql, db);
  }
  return db;
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

/**
 * A jsonb value for a drizzle write, sent as text and cast: drizzle's own jsonb mapping needs the
 * client's json serializer turned off, which only the clients openDatabase made have.
 */
export function jsonbValue(value: unknown) {
  return sqlText`${JSON.stringify(value)}::text::jsonb`;
}
