/**
 * Runs one step of a recorded ProcedureExecution. Each procedure kind has a step function (the
 * PROCEDURES registry, registry.ts, handed in by the ingest Worker); a step returns `done` (the execution succeeds), or `continue` with a checkpoint (the execution
 * waits and a delayed message resumes it), so long work fits the queue consumer's wall time and a
 * killed step resumes from the last checkpoint.
 */

import { driverError } from '#shared/db/postgres-errors.ts';
import type { Sql } from '#shared/db/types.ts';
import type { Identity } from '../access/identity.ts';
import { recordStaffAction, type StaffActionKind } from '../audit/staff-action.ts';
import type { Database } from '../db/client.ts';
import { isTransientDatabaseError } from '../db/transient-errors.ts';
import type { Env } from '../env.ts';
import { log } from '../logging.ts';
import {
  claimExecution,
  continueExecution,
  describeError,
  failExecution,
  findExecution,
  heartbeatExecution,
  type ProcedureExecutionRow,
  type ProcedureKind,
  recordExecution,
  releaseExecution,
  runningLeaseSeconds,
  succeedExecution,
} from './execution.ts';
import type { IngestMessage } from './messages.ts';

export type StepResult =
  | { outcome: 'done'; rowsProcessed?: number }
  | { outcome: 'continue'; checkpoint: Record<string, unknown>; rowsProcessed?: number; delaySeconds?: number };

export interface StepContext {
  database: Database;
  env: Env;
  ctx: Pick<ExecutionContext, 'waitUntil'>;
  execution: ProcedureExecutionRow;
  log: ReturnType<typeof log.with>;
}

export type ProcedureStep = (context: StepContext) => Promise<StepResult>;

/** The step of every kind; `null` for a kind recorded only by the legacy API, never run. */
export type ProcedureRegistry = Record<ProcedureKind, ProcedureStep | null>;

export async function enqueueExecution(
  sql: Sql,
  queue: Queue<IngestMessage>,
  input: Parameters<typeof recordExecution>[1],
  /** A staff request: recorded in the audit trail in the execution's own transaction. */
  audit?: { actor: Identity; kind: StaffActionKind },
): Promise<ProcedureExecutionRow> {
  const execution = audit
    ? ((await sql.begin(async (tx) => {
        const row = await recordExecution(tx, input);
        await recordStaffAction(tx, {
          actor: audit.actor,
          kind: audit.kind,
          target: { kind: 'procedure_execution', id: row.procedure_execution_id },
          after: { procedure_kind: row.procedure_kind, parameters: input.parameters ?? {} },
        });
        return row;
      })) as ProcedureExecutionRow)
    : await recordExecution(sql, input);
  try {
    await queue.send({ procedureExecutionId: execution.procedure_execution_id, step: 0 });
  } catch (error) {
    // Nothing will ever run it: record why instead of leaving a queued row behind.
    await failExecution(sql, execution.procedure_execution_id, error);
    throw error;
  }
  // Inside a request this line also carries its request_id: the link from a request to its work.
  log.info('execution enqueued', {
    procedure_execution_id: execution.procedure_execution_id,
    kind: execution.procedure_kind,
    trigger_source: execution.trigger_source,
  });
  return execution;
}

/**
 * Wakes a waiting execution now (a finish webhook, a child that finished): a message for its
 * current step. If its own delayed message comes first, this one is stale and does nothing.
 */
export async function nudgeExecution(sql: Sql, queue: Queue<IngestMessage>, id: string): Promise<boolean> {
  const execution = await findExecution(sql, id);
  if (execution?.status !== 'waiting') return false;
  await queue.send({ procedureExecutionId: id, step: execution.step_count });
  return true;
}

/**
 * What became of a message: `busy` = a step of this execution is running now, come back later;
 * `retry` = the step was interrupted by a transient error (the database connection dropped) and
 * was given back: deliver the message again.
 */
export type RunOutcome =
  | { kind: 'ran' | 'skipped' }
  | { kind: 'busy'; retryAfterSeconds: number }
  | { kind: 'retry'; cause: string };

/** Waits between tries to give a step back while Postgres restarts (about 15 s in all). */
const RELEASE_RETRY_DELAYS_MS = [500, 1000, 2000, 4000, 8000];

/**
 * Gives the step back after a transient error. The database may be restarting, so this is tried
 * a few times; if it never answers, the error is thrown and the queue's redelivery finds the
 * step under its lease (it then resumes after the lease, like a killed step).
 */
async function releaseAfterTransientError(sql: Sql, id: string, cause: unknown): Promise<boolean> {
  for (const wait of [0, ...RELEASE_RETRY_DELAYS_MS]) {
    if (wait) await new Promise((resolve) => setTimeout(resolve, wait));
    try {
      return await releaseExecution(sql, id);
    } catch (error) {
      if (!isTransientDatabaseError(error)) throw error;
    }
  }
  throw cause;
}

/**
 * How often a running step heartbeats, alongside its work (a timer, whatever the step is doing:
 * a load, a download, a refresh). Well under the watchdog's stall threshold (at least 60 s).
 */
export const HEARTBEAT_INTERVAL_SECONDS = 20;

/** Runs `work` with a heartbeat of the claimed execution every HEARTBEAT_INTERVAL_SECONDS. */
async function withHeartbeat<T>(
  sql: Sql,
  execution: ProcedureExecutionRow,
  executionLog: ReturnType<typeof log.with>,
  work: () => Promise<T>,
): Promise<T> {
  const beat = () =>
    heartbeatExecution(sql, execution.procedure_execution_id, execution.attempt_count).catch((error) =>
      // A missed beat is not the step's failure; several in a row make it look stalled.
      executionLog.warn('heartbeat not recorded', { error: messageOf(error) }),
    );
  const timer = setInterval(beat, HEARTBEAT_INTERVAL_SECONDS * 1000);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}

/** An error's message; for a failed drizzle query the driver's, not the wrapper's (it quotes the query and its parameters). */
function messageOf(error: unknown): string {
  const cause = driverError(error);
  return cause instanceof Error ? cause.message : String(cause);
}

export async function runProcedureExecution(input: {
  procedures: ProcedureRegistry;
  database: Database;
  env: Env;
  ctx: Pick<ExecutionContext, 'waitUntil'>;
  procedureExecutionId: string;
  /** The step the message is for (see messages.ts); absent = any. */
  step?: number;
}): Promise<RunOutcome> {
  const { database, env, ctx, procedureExecutionId } = input;
  const execution = await claimExecution(database.sql, procedureExecutionId, input.step);
  const executionLog = log.with({ procedure_execution_id: procedureExecutionId });
  if (!execution) {
    const lease = await runningLeaseSeconds(database.sql, procedureExecutionId, input.step);
    if (lease !== null) {
      executionLog.info('a step of this execution is running; message retried after its lease', { lease });
      return { kind: 'busy', retryAfterSeconds: lease + 5 };
    }
    executionLog.info('execution finished, unknown or past this step; message acknowledged without work', {
      step: input.step,
    });
    return { kind: 'skipped' };
  }
  const step = input.procedures[execution.procedure_kind];
  if (!step) {
    await failExecution(
      database.sql,
      procedureExecutionId,
      `no procedure is registered for kind ${execution.procedure_kind}`,
    );
    executionLog.error('no procedure registered', { kind: execution.procedure_kind });
    return { kind: 'ran' };
  }
  try {
    const result = await withHeartbeat(database.sql, execution, executionLog, () =>
      step({ database, env, ctx, execution, log: executionLog }),
    );
    if (result.outcome === 'done') {
      await succeedExecution(database.sql, procedureExecutionId, result.rowsProcessed);
      executionLog.info('execution succeeded', { kind: execution.procedure_kind, rows: result.rowsProcessed });
    } else {
      const nextStep = await continueExecution(database.sql, procedureExecutionId, {
        checkpoint: result.checkpoint,
        rowsProcessed: result.rowsProcessed,
        delaySeconds: result.delaySeconds,
      });
      if (nextStep !== null) {
        await env.INGEST_QUEUE.send(
          { procedureExecutionId, step: nextStep },
          { delaySeconds: result.delaySeconds ?? 0 },
        );
      }
      return { kind: 'ran' };
    }
  } catch (error) {
    if (isTransientDatabaseError(error)) {
      // Every step is idempotent from its last checkpoint (a killed step resumes from it too), so
      // a dropped connection is not the execution's failure: the queue delivers the step again.
      const cause = describeError(error);
      executionLog.warn('step interrupted by a transient database error; the queue delivers it again', {
        kind: execution.procedure_kind,
        error: cause,
      });
      const released = await releaseAfterTransientError(database.sql, procedureExecutionId, error);
      // Not running any more: the step's end was recorded before the connection dropped, but its
      // next message may not have been sent. A message for its current step (a no-op if sent).
      if (!released) await nudgeExecution(database.sql, env.INGEST_QUEUE, procedureExecutionId);
      return { kind: 'retry', cause };
    }
    await failExecution(database.sql, procedureExecutionId, error);
    executionLog.error('execution failed', {
      kind: execution.procedure_kind,
      error: messageOf(error),
    });
  }
  // A parent waiting for this child carries on now instead of at its next poll.
  if (execution.parent_procedure_execution_id) {
    await nudgeExecution(database.sql, env.INGEST_QUEUE, execution.parent_procedure_execution_id).catch((error) =>
      executionLog.warn('could not nudge the parent execution', { error: messageOf(error) }),
    );
  }
  return { kind: 'ran' };
}
