/**
 * One transaction, both handles: a staff write and its audit row commit together, and a
 * transaction may need drizzle (the schema-shaped reads and writes) and postgres.js (hand-written
 * SQL such as the marts' classification) side by side. `transaction` opens it with postgres.js and
 * puts drizzle over the same connection; `drizzleOn` does that for a transaction opened elsewhere.
 */
import { createTableRelationsHelpers, extractTablesRelationalConfig } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import { PostgresJsDatabase, PostgresJsSession } from 'drizzle-orm/postgres-js';
import * as schema from '#db/schema.ts';
import type { Db, Queryable, Sql, Tx } from './types.ts';

const dialect = new PgDialect();
const tables = extractTablesRelationalConfig(schema, createTableRelationsHelpers);
const relational = { fullSchema: schema, schema: tables.tables, tableNamesMap: tables.tableNamesMap };

/**
 * drizzle over a postgres.js handle that is already open (a transaction or a reserved connection).
 * Its client must come from openDatabase, whose drizzle set the client's type parsers.
 */
export function drizzleOn(handle: Queryable): Db {
  // The same construction as drizzle(client), minus its setup of the client's parsers (done once).
  // (`as never`: the relational config's types are drizzle's internals; Db says what comes out.)
  const session = new PostgresJsSession(handle as Sql, dialect, relational as never);
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
