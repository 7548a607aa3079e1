/**
 * The one way to run a ProcedureExecution: record it (queued), claim it for a run (running,
 * attempt + 1), checkpoint it, and finish it (succeeded / failed with its cause). Every procedure
 * (sync, load, refresh, classify, parity, replay) goes through these functions.
 */

import { and, eq, inArray, sql as sqlText } from 'drizzle-orm';
import type { SelectResultFields } from 'drizzle-orm/query-builders/select.types';
import { procedureExecution } from '#db/schema.ts';
import { driverError, isUniqueViolation } from '#shared/db/postgres-errors.ts';
import { columnsBySqlName, drizzleOf, jsonbValue } from '#shared/db/transaction.ts';
import type { Queryable, Sql } from '#shared/db/types.ts';
import { freshReadCondition } from '../db/fresh.ts';

export const PROCEDURE_KINDS = [
  // legacy sync_runs kinds, kept so the REST API can show them unchanged
  'products',
  'orders',
  'marts',
  'full',
  // new system
  'refunds',
  'deletions',
  'load',
  'classify',
  'parity_check',
  'replay',
] as const;
export type ProcedureKind = (typeof PROCEDURE_KINDS)[number];

/** Every column of procedure_execution by its SQL name, as `returning *` gives them (the procedures' and the API's snake_case). */
export const EXECUTION_ROW = columnsBySqlName(procedureExecution);

/**
 * A procedure_execution row, typed by db/schema.ts; the kind and the jsonb columns as the
 * procedures use them. `wake_up_at`: when the delayed message of a waiting execution (or one the
 * watchdog re-sent) is due.
 */
export type ProcedureExecutionRow = Omit<
  SelectResultFields<typeof EXECUTION_ROW>,
  'procedure_kind' | 'parameters' | 'checkpoint_state'
> & {
  procedure_kind: ProcedureKind;
  parameters: Record<string, unknown>;
  checkpoint_state: Record<string, unknown>;
};

const ACTIVE_STATUSES = ['queued', 'running', 'waiting'] as const;
/** Postgres's clock, for a drizzle write. */
export const now = sqlText`now()`;

/** Thrown when work with the same concurrency key is already queued or running. */
export class ExecutionConflictError extends Error {
  override name = 'ExecutionConflictError';
  constructor(readonly concurrencyKey: string) {
    super(`a ${concurrencyKey} execution is already queued or running`);
  }
}

export async function recordExecution(
  sql: Queryable,
  input: {
    kind: ProcedureKind;
    triggerSource: string;
    parameters?: Record<string, unknown>;
    concurrencyKey?: string | null;
    parentId?: string | null;
  },
): Promise<ProcedureExecutionRow> {
  try {
    const [row] = await drizzleOf(sql)
      .insert(procedureExecution)
      .values({
        procedureKind: input.kind,
        triggerSource: input.triggerSource,
        parameters: jsonbValue(input.parameters ?? {}),
        concurrencyKey: input.concurrencyKey ?? null,
        parentProcedureExecutionId: input.parentId ?? null,
      })
      .returning(EXECUTION_ROW);
    return row as ProcedureExecutionRow;
  } catch (error) {
    if (isUniqueViolation(error, 'procedure_execution_one_active_per_concurrency_key') && input.concurrencyKey) {
      throw new ExecutionConflictError(input.concurrencyKey);
    }
    throw error;
  }
}

/**
 * How long a running step holds its execution (the queue consumer's wall-time limit). A message
 * for a running execution whose heartbeat is older than this finds a step that was killed, and
 * resumes it from its last checkpoint.
 */
export const EXECUTION_LEASE_SECONDS = 900;

/**
 * Moves a queued or waiting execution to running and counts the attempt; also takes over a
 * running one whose lease expired (its step was killed). With `step`, only when the execution is
 * at that step. Returns null when the execution is finished, missing, at another step, or running
 * under a live lease: a redelivered or duplicated message must then do nothing now.
 */
export async function claimExecution(sql: Sql, id: string, step?: number): Promise<ProcedureExecutionRow | null> {
  // Hand-written: the lease compares heartbeats with now() minus an interval, in one conditional update.
  const [row] = await sql<ProcedureExecutionRow[]>`
    update procedure_execution
    set status = 'running', attempt_count = attempt_count + 1,
        started_at = coalesce(started_at, now()), heartbeat_at = now()
    where procedure_execution_id = ${id}
      and (${step ?? null}::int is null or step_count = ${step ?? null}::int)
      and (status in ('queued', 'waiting')
           or (status = 'running'
               and coalesce(heartbeat_at, requested_at) < now() - make_interval(secs => ${EXECUTION_LEASE_SECONDS})))
    returning *`;
  return row ?? null;
}

/**
 * Seconds until the lease of a step that is running right now (at `step`, when given) expires;
 * null when no step is running. A message that found it busy comes back after that.
 */
export async function runningLeaseSeconds(sql: Sql, id: string, step?: number): Promise<number | null> {
  // Hand-written: interval arithmetic on the lease, by Postgres's clock.
  const [row] = await sql<{ seconds: number }[]>`
    select greatest(1, ceil(extract(epoch from
             coalesce(heartbeat_at, requested_at) + make_interval(secs => ${EXECUTION_LEASE_SECONDS}) - now())))::int
             as seconds
    from procedure_execution
    where procedure_execution_id = ${id} and status = 'running'
      and (${step ?? null}::int is null or step_count = ${step ?? null}::int)`;
  return row?.seconds ?? null;
}

/**
 * Ends a step with `continue`: records the checkpoint, waits, and returns the next step's number.
 * The wake-up is recorded (now + the message's delay) so a long wait is not mistaken for a stall.
 */
export async function continueExecution(
  sql: Sql,
  id: string,
  update: { checkpoint: Record<string, unknown>; rowsProcessed?: number; delaySeconds?: number },
): Promise<number | null> {
  // Hand-written: the wake-up is now() plus the delay as an interval, by Postgres's clock.
  const [row] = await sql<{ step_count: number }[]>`
    update procedure_execution
    set checkpoint_state = ${JSON.stringify(update.checkpoint)}::text::jsonb,
        rows_processed_count = coalesce(${update.rowsProcessed ?? null}, rows_processed_count),
        status = 'waiting', step_count = step_count + 1, heartbeat_at = now(),
        wake_up_at = now() + make_interval(secs => ${update.delaySeconds ?? 0})
    where procedure_execution_id = ${id} and status = 'running'
    returning step_count`;
  return row?.step_count ?? null;
}

/**
 * A running step's sign of life (the runner sends one every HEARTBEAT_INTERVAL_SECONDS while the
 * step works). Only for the claim that is running it (`attempt`): a step taken over after its
 * lease must not keep the new claim's lease alive.
 */
export async function heartbeatExecution(sql: Sql, id: string, attempt: number): Promise<boolean> {
  const rows = await drizzleOf(sql)
    .update(procedureExecution)
    .set({ heartbeatAt: now })
    .where(
      and(
        eq(procedureExecution.procedureExecutionId, id),
        eq(procedureExecution.status, 'running'),
        eq(procedureExecution.attemptCount, attempt),
      ),
    )
    .returning({ id: procedureExecution.procedureExecutionId });
  return rows.length > 0;
}

export async function checkpointExecution(
  sql: Sql,
  id: string,
  update: { checkpoint: Record<string, unknown>; rowsProcessed?: number; status?: 'running' | 'waiting' },
): Promise<void> {
  await drizzleOf(sql)
    .update(procedureExecution)
    .set({
      checkpointState: jsonbValue(update.checkpoint),
      rowsProcessedCount: update.rowsProcessed,
      status: update.status,
      heartbeatAt: now,
    })
    .where(
      and(eq(procedureExecution.procedureExecutionId, id), inArray(procedureExecution.status, ['running', 'waiting'])),
    );
}

export async function succeedExecution(sql: Sql, id: string, rowsProcessed?: number): Promise<void> {
  await drizzleOf(sql)
    .update(procedureExecution)
    .set({ status: 'succeeded', finishedAt: now, heartbeatAt: now, errorText: null, rowsProcessedCount: rowsProcessed })
    .where(activeExecution(id));
}

export async function failExecution(sql: Sql, id: string, cause: unknown): Promise<void> {
  await drizzleOf(sql)
    .update(procedureExecution)
    .set({ status: 'failed', finishedAt: now, heartbeatAt: now, errorText: describeError(cause) })
    .where(activeExecution(id));
}

/** The execution `id` while it is active (queued, running or waiting). */
export function activeExecution(id: string) {
  return and(eq(procedureExecution.procedureExecutionId, id), inArray(procedureExecution.status, ACTIVE_STATUSES));
}

/**
 * Gives a running step back to the queue after a transient error: waiting at the same step, so
 * the redelivered message claims it again and it resumes from its last checkpoint (as a killed
 * step does after its lease, without waiting for the lease).
 */
export async function releaseExecution(sql: Sql, id: string): Promise<boolean> {
  const rows = await drizzleOf(sql)
    .update(procedureExecution)
    .set({ status: 'waiting', heartbeatAt: now })
    .where(and(eq(procedureExecution.procedureExecutionId, id), eq(procedureExecution.status, 'running')))
    .returning({ id: procedureExecution.procedureExecutionId });
  return rows.length > 0;
}

export async function findExecution(sql: Queryable, id: string): Promise<ProcedureExecutionRow | null> {
  const [row] = await drizzleOf(sql)
    .select(EXECUTION_ROW)
    .from(procedureExecution)
    .where(and(eq(procedureExecution.procedureExecutionId, id), freshReadCondition));
  return (row as ProcedureExecutionRow | undefined) ?? null;
}

export function describeError(error: unknown): string {
  const cause = driverError(error);
  const text = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
  // Postgres text cannot hold NUL (an error quoting a bad response may carry one): without this
  // the cause could not be recorded and the failure would be retried instead of recorded.
  return text.replaceAll('\u0000', '\\0').slice(0, 4000);
}
