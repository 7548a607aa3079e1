/**
 * drizzle over postgres.js, and one transaction with both handles: a staff write and its audit row
 * commit together, and a transaction may need drizzle (the schema-shaped reads and writes) and
 * postgres.js (hand-written SQL such as the marts' classification) side by side.
 */
import { type Column, getTableColumns, sql as sqlText, type Table } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/postgres-js';
import * as schema from '#db/schema.ts';
import { storableJson } from './storable.ts';
import type { Db, Queryable, Sql, Tx } from './types.ts';

/** The drizzle handle of each client drizzleClient made, so drizzleOf(sql) finds the invocation's own. */
const handles = new WeakMap<Queryable, Db>();

/**
 * A view of a postgres.js handle for drizzle:
 * - its queries keep postgres.js's own `prepare` setting. drizzle asks for unnamed statements, and
 *   postgres.js then describes every query with parameters in a round trip of its own: twice the
 *   round trips of a tagged query;
 * - with `ownParsers`, drizzle gets a copy of the parser table to rewrite (it switches timestamps
 *   and dates to text), so the client's other queries keep returning what they did.
 */
function viewFor<T extends Queryable>(handle: T, ownParsers: boolean): T {
  const unsafe: Queryable['unsafe'] = (query, parameters, options) => {
    const { prepare: _, ...rest } = options ?? {};
    return handle.unsafe(query, parameters, rest);
  };
  const own = (handle as Partial<Sql>).options;
  const options = ownParsers ? { ...own, parsers: { ...own?.parsers }, serializers: { ...own?.serializers } } : own;
  return new Proxy(handle, {
    get: (target, key) => (key === 'unsafe' ? unsafe : key === 'options' ? options : Reflect.get(target, key)),
  });
}

/** drizzle over a Worker's client (openDatabase); it sets the client's type parsers (timestamps and dates as text). */
export function drizzleClient(sql: Sql): Db {
  const db = drizzle(viewFor(sql, false), { schema });
  handles.set(sql, db);
  return db;
}

/**
 * The typed (drizzle) handle over any postgres.js client, reserved connection or transaction: the
 * invocation's own for a client from drizzleClient; for another (a transaction, a test's or a
 * script's client) drizzle over a view with its own parser table.
 */
export function drizzleOf(handle: Queryable): Db {
  let db = handles.get(handle);
  if (!db) {
    db = drizzle(viewFor(handle as Sql, true), { schema });
    handles.set(handle, db);
  }
  return db;
}

/**
 * A jsonb value for a drizzle write, sent as text and cast: drizzle's own jsonb mapping needs the
 * client's json serializer turned off, which only drizzleClient's clients have. Text jsonb refuses
 * (NUL, an unpaired surrogate) is written as U+FFFD (storable.ts).
 */
export function jsonbValue(value: unknown) {
  return sqlText`${JSON.stringify(storableJson(value))}::text::jsonb`;
}

export interface Transaction {
  /** drizzle in the transaction: schema-shaped reads and writes. */
  db: Db;
  /** postgres.js in the same transaction: hand-written SQL. */
  sql: Tx;
}

/** Runs `work` in one transaction and commits when it returns (rolls back when it throws). */
export async function transaction<T>(sql: Sql, work: (tx: Transaction) => Promise<T>): Promise<T> {
  return (await sql.begin((tx) => work({ db: drizzleOf(tx), sql: tx }))) as T;
}

/** A table's columns keyed by their SQL names. */
type BySqlName<Columns extends Record<string, Column>> = {
  [K in keyof Columns & string as Columns[K]['_']['name']]: Columns[K];
};

/**
 * A table's columns keyed by their SQL names, as `returning *` names them: a drizzle selection of
 * every column in snake_case, which follows the schema when a column is added.
 */
export function columnsBySqlName<T extends Table>(table: T): BySqlName<T['_']['columns']> {
  return Object.fromEntries(Object.values(getTableColumns(table)).map((column) => [column.name, column])) as never;
}
