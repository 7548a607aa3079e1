/**
 * The legacy `sync_runs` view of procedure_execution (scenario 13): executions of the kinds the
 * legacy system knew (products, orders, marts, full) in the legacy shape
 * {id, kind, status, started_at, finished_at, rows_processed, error}. A run that was requested but
 * has not started shows `requested_at` as its start and status `queued`; one waiting between steps
 * is still `running`.
 */

import { and, desc, eq, inArray, sql as sqlText } from 'drizzle-orm';
import { z } from 'zod';
import { type ExecutionStatus, procedureExecution as execution } from '#db/schema.ts';
import { drizzleOf } from '#shared/db/transaction.ts';
import type { Sql } from '#shared/db/types.ts';
import { describeIdentity, type Identity } from '../access/identity.ts';
import { freshReadCondition } from '../db/fresh.ts';
import type { Env } from '../env.ts';
import { conflict, notFound } from '../errors.ts';
import { toIsoTimestamp } from '../http/json-values.ts';
import { decodeCursor, type Page, toPage } from '../http/pagination.ts';
import { ExecutionConflictError } from './execution.ts';
import { enqueueExecution } from './runner.ts';

export const SYNC_RUN_KINDS = ['products', 'orders', 'marts', 'full'] as const;
export type SyncRunKind = (typeof SYNC_RUN_KINDS)[number];

export const SYNC_RUN_STATUSES = ['queued', 'running', 'succeeded', 'failed'] as const;
export type SyncRunStatus = (typeof SYNC_RUN_STATUSES)[number];

/** Execution statuses behind each legacy status. */
const EXECUTION_STATUSES_OF: Record<SyncRunStatus, ExecutionStatus[]> = {
  queued: ['queued'],
  running: ['running', 'waiting'],
  succeeded: ['succeeded'],
  failed: ['failed'],
};

export interface SyncRun {
  id: string;
  kind: SyncRunKind;
  status: SyncRunStatus;
  started_at: string;
  finished_at: string | null;
  rows_processed: number;
  error: string | null;
}

/** When a run started, or was requested while queued: what the list is ordered by. */
const startedAt = sqlText<string>`coalesce(${execution.startedAt}, ${execution.requestedAt})`;

const SYNC_RUN_ROW = {
  id: execution.procedureExecutionId,
  kind: execution.procedureKind,
  status: execution.status,
  started_at: startedAt,
  // The cursor's position, exact to the microsecond (a JS Date keeps milliseconds).
  started_at_micros: sqlText<string>`(extract(epoch from ${startedAt}) * 1000000)::bigint`,
  finished_at: execution.finishedAt,
  rows_processed: execution.rowsProcessedCount,
  error: execution.errorText,
};

type SyncRunRow = Awaited<ReturnType<typeof selectSyncRuns>>[number];

/** Each caller's where keeps it fresh (freshReadCondition): a run just triggered or finished shows at once. */
function selectSyncRuns(sql: Sql) {
  return drizzleOf(sql).select(SYNC_RUN_ROW).from(execution).$dynamic();
}

const toSyncRun = (row: SyncRunRow): SyncRun => ({
  id: row.id,
  kind: row.kind as SyncRunKind,
  status: row.status === 'waiting' ? 'running' : row.status,
  started_at: toIsoTimestamp(row.started_at),
  finished_at: toIsoTimestamp(row.finished_at),
  rows_processed: row.rows_processed,
  error: row.error,
});

const cursorSchema = z.strictObject({ k: z.number().int().safe(), id: z.guid() });

export async function listSyncRuns(
  sql: Sql,
  query: { kind?: SyncRunKind; status?: SyncRunStatus; limit: number; cursor?: string },
): Promise<Page<SyncRun>> {
  const after = query.cursor ? decodeCursor(query.cursor, cursorSchema) : undefined;
  const kinds = query.kind ? [query.kind] : [...SYNC_RUN_KINDS];
  const rows = await selectSyncRuns(sql)
    .where(
      and(
        inArray(execution.procedureKind, kinds),
        freshReadCondition,
        query.status ? inArray(execution.status, EXECUTION_STATUSES_OF[query.status]) : undefined,
        after
          ? sqlText`(${startedAt}, ${execution.procedureExecutionId})
              < (timestamptz 'epoch' + ${after.k}::bigint * interval '1 microsecond', ${after.id}::uuid)`
          : undefined,
      ),
    )
    .orderBy(desc(startedAt), desc(execution.procedureExecutionId))
    .limit(query.limit + 1);
  return toPage(rows, query.limit, (row) => ({ k: Number(row.started_at_micros), id: row.id }), toSyncRun);
}

export async function getSyncRun(sql: Sql, id: string): Promise<SyncRun> {
  const [row] = await selectSyncRuns(sql).where(
    and(
      eq(execution.procedureExecutionId, id),
      inArray(execution.procedureKind, [...SYNC_RUN_KINDS]),
      freshReadCondition,
    ),
  );
  if (!row) throw notFound(`sync run ${id}`);
  return toSyncRun(row);
}

/**
 * Records and enqueues a sync of `kind` for the ingest Worker. One run of a kind at a time: the
 * concurrency key is the kind (as the Cron Triggers use), so a second request is a 409.
 */
export async function triggerSyncRun(
  sql: Sql,
  queue: Env['INGEST_QUEUE'],
  kind: SyncRunKind,
  actor: Identity,
): Promise<SyncRun> {
  try {
    const execution = await enqueueExecution(
      sql,
      queue,
      {
        kind,
        // Who asked goes in the trigger source: each procedure validates its parameters strictly.
        triggerSource: `api:${describeIdentity(actor)}`,
        concurrencyKey: kind,
      },
      { actor, kind: 'sync.trigger' },
    );
    return getSyncRun(sql, execution.procedure_execution_id);
  } catch (error) {
    if (error instanceof ExecutionConflictError) {
      throw conflict(`a ${kind} sync is already queued or running`);
    }
    throw error;
  }
}
