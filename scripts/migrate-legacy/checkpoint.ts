/**
 * Per-table progress in the target's `data_migration_checkpoint`. A batch's rows and its
 * checkpoint are written in one target transaction, so the checkpoint never runs ahead of (or
 * behind) the rows: a killed run resumes after exactly the last committed batch.
 */
import type { Queryable } from './databases.ts';
import type { MigratedTable } from './table-sql.ts';

export const CHECKPOINT_TABLE = 'data_migration_checkpoint';

export interface Checkpoint {
  legacyTable: string;
  newTable: string;
  status: 'copying' | 'completed';
  lastKey: string[] | null;
  rowsCopied: number;
  batches: number;
  completedAt: string | null;
}

export async function readCheckpoints(sql: Queryable): Promise<Map<string, Checkpoint>> {
  const rows = await sql<Checkpoint[]>`
    select legacy_table_name as "legacyTable", new_table_name as "newTable", status,
           last_legacy_key as "lastKey", rows_copied_count::float8 as "rowsCopied",
           batch_count::float8 as batches, completed_at::text as "completedAt"
    from data_migration_checkpoint`;
  return new Map(rows.map((row) => [row.legacyTable, row]));
}

/** Records one committed batch (call inside the batch's transaction). */
export async function recordBatch(
  sql: Queryable,
  table: MigratedTable,
  batch: { lastKey: string[] | null; rows: number; completed: boolean },
): Promise<void> {
  const status = batch.completed ? 'completed' : 'copying';
  await sql`
    insert into data_migration_checkpoint as cp
      (legacy_table_name, new_table_name, status, last_legacy_key, rows_copied_count, batch_count, completed_at)
    values (${table.legacyTable}, ${table.newTable}, ${status}, ${batch.lastKey}::text[], ${batch.rows}, 1,
            case when ${batch.completed} then now() end)
    on conflict (legacy_table_name) do update set
      status = excluded.status,
      last_legacy_key = coalesce(excluded.last_legacy_key, cp.last_legacy_key),
      rows_copied_count = cp.rows_copied_count + excluded.rows_copied_count,
      batch_count = cp.batch_count + 1,
      updated_at = now(),
      completed_at = excluded.completed_at`;
}
