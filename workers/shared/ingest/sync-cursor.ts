/**
 * Per-resource sync cursors (sync_cursor): the end of the last updated_at window whose data
 * loaded completely. An incremental sync reads from the cursor minus a small overlap (clock skew,
 * late commits in Shopify) to the moment it started; only a sync whose data loaded moves it, and
 * never backwards.
 */

import { and, eq, sql as sqlText } from 'drizzle-orm';
import { syncCursor } from '#db/schema.ts';
import { drizzleOf } from '#shared/db/transaction.ts';
import type { Sql } from '#shared/db/types.ts';
import { freshReadCondition } from '../db/fresh.ts';

export const CURSOR_RESOURCES = ['products', 'orders', 'deletions'] as const;
export type CursorResource = (typeof CURSOR_RESOURCES)[number];

/** How far back an incremental window reaches before the cursor. */
export const SYNC_OVERLAP_MS = 5 * 60 * 1000;

export async function readCursor(sql: Sql, resource: CursorResource): Promise<string | null> {
  const [row] = await drizzleOf(sql)
    .select({
      at: sqlText<string>`to_char(${syncCursor.windowEndAt} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`,
    })
    .from(syncCursor)
    .where(and(eq(syncCursor.resourceName, resource), freshReadCondition));
  return row?.at ?? null;
}

/** The window of an incremental sync starting now: from cursor − overlap (open when no cursor) to now. */
export async function incrementalWindow(
  sql: Sql,
  resource: CursorResource,
  now = new Date(),
): Promise<{ from: string | null; to: string }> {
  const cursor = await readCursor(sql, resource);
  const from = cursor ? new Date(Date.parse(cursor) - SYNC_OVERLAP_MS).toISOString() : null;
  return { from, to: now.toISOString() };
}

/** Moves the cursor to `windowEnd` after that window's data loaded (never backwards). */
export async function advanceCursor(
  sql: Sql,
  resource: CursorResource,
  windowEnd: string,
  procedureExecutionId: string,
): Promise<void> {
  await drizzleOf(sql)
    .insert(syncCursor)
    .values({ resourceName: resource, windowEndAt: windowEnd, procedureExecutionId, updatedAt: sqlText`now()` })
    .onConflictDoUpdate({
      target: syncCursor.resourceName,
      set: {
        windowEndAt: sqlText`excluded.window_end_at`,
        procedureExecutionId: sqlText`excluded.procedure_execution_id`,
        updatedAt: sqlText`now()`,
      },
      setWhere: sqlText`${syncCursor.windowEndAt} < excluded.window_end_at`,
    });
}
