/**
 * Per-resource sync cursors (sync_cursor): the end of the last updated_at window whose data
 * loaded completely. An incremental sync reads from the cursor minus a small overlap (clock skew,
 * late commits in Shopify) to the moment it started; only a sync whose data loaded moves it, and
 * never backwards.
 */

import type { Sql } from '#shared/db/types.ts';
import { freshRead } from '../db/fresh.ts';

export const CURSOR_RESOURCES = ['products', 'orders', 'deletions'] as const;
export type CursorResource = (typeof CURSOR_RESOURCES)[number];

/** How far back an incremental window reaches before the cursor. */
export const SYNC_OVERLAP_MS = 5 * 60 * 1000;

export async function readCursor(sql: Sql, resource: CursorResource): Promise<string | null> {
  const [row] = await sql<{ at: string }[]>`
    select to_char(window_end_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as at
    from sync_cursor where resource_name = ${resource} and ${freshRead(sql)}`;
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
  await sql`
    insert into sync_cursor (resource_name, window_end_at, procedure_execution_id, updated_at)
    values (${resource}, ${windowEnd}::timestamptz, ${procedureExecutionId}, now())
    on conflict (resource_name) do update set
      window_end_at = excluded.window_end_at, procedure_execution_id = excluded.procedure_execution_id,
      updated_at = now()
    where sync_cursor.window_end_at < excluded.window_end_at`;
}
