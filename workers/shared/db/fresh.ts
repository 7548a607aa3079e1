/**
 * Reads that must see the current state (what a staff write just changed, execution state, the
 * gate, health) call now(): Hyperdrive never caches a query that calls a stable function (its
 * "Query caching" rule), so they stay fresh under any cache that follows that rule, whichever
 * binding or client runs them. Every other read may be answered from the cache (docs/testing.md "Reading
 * fresh under Hyperdrive's query cache").
 */
import { sql as drizzleSql } from 'drizzle-orm';
import type { Queryable } from './types.ts';

/** The condition, as SQL text: always true, and a call to a stable function. */
export const FRESH_READ_CONDITION = 'now() is not null';

/** `where ${freshRead(sql)} and …`: makes a postgres.js query uncacheable. */
export function freshRead(sql: Queryable) {
  return sql.unsafe(FRESH_READ_CONDITION);
}

/** `.where(and(freshReadCondition, …))`: the same for a drizzle query. */
export const freshReadCondition = drizzleSql.raw(FRESH_READ_CONDITION);
