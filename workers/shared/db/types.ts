/**
 * The database types, in one place. Free of Workers types, so scripts and tests share them.
 */
import type { PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import type postgres from 'postgres';
import type * as schema from '#db/schema.ts';

/** A postgres.js client: it owns connections, begins transactions and ends. */
export type Sql = postgres.Sql;
/** Anything a query runs on: a client, a reserved connection or a transaction. */
export type Queryable = postgres.ISql;
/** The handle inside `sql.begin`. */
export type Tx = postgres.TransactionSql;
/** drizzle over a client, typed by db/schema.ts. */
export type Db = PostgresJsDatabase<typeof schema>;
