/**
 * drizzle over postgres.js, and one transaction with both handles: a staff write and its audit row
 * commit together, and a transaction may need drizzle (the schema-shaped reads and writes) and
 * postgres.js (hand-written SQL such as the marts' classification) side by side. `transaction`
 * opens it with postgres.js and puts drizzle on the same connection; `drizzleOn` does that for a
 * handle opened elsewhere.
 */
import { createTableRelationsHelpers, extractTablesRelationalConfig } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import { drizzle, PostgresJsDatabase, PostgresJsSession } from 'drizzle-orm/postgres-js';
import * as schema from '#db/schema.ts';
import type { Db, Queryable, Sql, Tx } from './types.ts';

const dialect = new PgDialect();
const tables = extractTablesRelationalConfig(schema, createTableRelationsHelpers);
const relational = { fullSchema: schema, schema: tables.tables, tableNamesMap: tables.tableNamesMap };

/**
 * The handle with postgres.js's own `prepare` setting for drizzle's queries too. drizzle asks for
 * unnamed statements unless a query is named, and postgres.js then describes every query with
 * parameters in a round trip of its own before running it: twice the round trips of a tagged query.
 */
function preparing<T extends Queryable>(handle: T): T {
  const unsafe: Queryable['unsafe'] = (query, parameters, options) => {
    const { prepare: _, ...rest } = options ?? {};
    return handle.unsafe(query, parameters, rest);
  };
  return new Proxy(handle, { get: (target, key) => (key === 'unsafe' ? unsafe : Reflect.get(target, key)) });
}

/** drizzle over a client; it also sets the client's type parsers (timestamps and dates as text). */
export function drizzleClient(sql: Sql): Db {
  return drizzle(preparing(sql), { schema });
}

/**
 * drizzle over a postgres.js handle that is already open (a transaction or a reserved connection).
 * Its client must come from drizzleClient (openDatabase), which set the client's type parsers.
 */
export function drizzleOn(handle: Queryable): Db {
  // drizzle(client) builds the same, and sets up the client's parsers (done once, by drizzleClient).
  // (`as never`: the relational config's types are drizzle's internals; Db says what comes out.)
  const session = new PostgresJsSession(preparing(handle) as Sql, dialect, relational as never);
  return new PostgresJsDatabase(dialect, session, relational as never) as Db;
}

export interface Transaction {
  /** drizzle in the transaction: schema-shaped reads and writes. */
  db: Db;
  /** postgres.js in the same transaction: hand-written SQL. */
  sql: Tx;
}

/** Runs `work` in one transaction and commits when it returns (rolls back when it throws). */
export async function transaction<T>(sql: Sql, work: (tx: Transaction) => Promise<T>): Promise<T> {
  return (await sql.begin((tx) => work({ db: drizzleOn(tx), sql: tx }))) as T;
}
