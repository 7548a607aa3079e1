/**
 * Dead letters and redrives. A queue message that exhausted its retries reaches the dead-letter
 * queue, whose consumer records it on the execution it names (failed with the cause, when the
 * last delivery could not record it: the database was down). An admin redrives a failed
 * execution: it waits again at the step it failed in, from its last checkpoint, and its message is
 * sent again. `redriveExecution` is the one domain function behind the HTTP route and the CLI.
 */
import type { Sql } from '../db/client.ts';
import { log } from '../logging.ts';
import {
  ExecutionConflictError,
  failExecution,
  findExecution,
  isUniqueViolation,
  type ProcedureExecutionRow,
} from './execution.ts';
import { INGEST_QUEUE_MAX_RETRIES, type IngestMessage } from './messages.ts';
import { nudgeExecution } from './runner.ts';

export type DeadLetterOutcome =
  /** it was still active at the message's step: now failed with the cause */
  | 'failed'
  /** it had already failed (the last delivery recorded why): the dead letter is noted */
  | 'already-failed'
  /** it succeeded or moved past the message's step: a stale message, nothing to do */
  | 'stale'
  | 'unknown';

/**
 * Records a dead-lettered message on the execution it names. Only an execution still at the
 * message's step (or any step, for a message without one) is failed: the cause is what the last
 * delivery said when the database took it, else that the last delivery could not record one.
 */
export async function recordDeadLetter(
  sql: Sql,
  queue: Queue<IngestMessage>,
  letter: { procedureExecutionId: string; step?: number; queueMessageId: string },
): Promise<DeadLetterOutcome> {
  const { procedureExecutionId: id, step } = letter;
  const cause = `its queue message${step === undefined ? '' : ` for step ${step}`} was dead-lettered after ${INGEST_QUEUE_MAX_RETRIES + 1} deliveries, and the last one could not record why (the database did not answer; see the 'queue message dead-lettered' log line of queue message ${letter.queueMessageId})`;
  const [row] = await sql<Pick<ProcedureExecutionRow, 'status' | 'error_text' | 'parent_procedure_execution_id'>[]>`
    update procedure_execution
    set status = 'failed', finished_at = now(), heartbeat_at = now(), error_text = ${cause}, dead_lettered_at = now()
    where procedure_execution_id = ${id} and status in ('queued', 'running', 'waiting')
      and (${step ?? null}::int is null or step_count = ${step ?? null}::int)
    returning status, error_text, parent_procedure_execution_id`;
  if (row) {
    log.error('dead-lettered execution failed', { alert: true, procedure_execution_id: id, step, error: cause });
    if (row.parent_procedure_execution_id) await nudgeExecution(sql, queue, row.parent_procedure_execution_id);
    return 'failed';
  }
  const [noted] = await sql<{ error_text: string | null }[]>`
    update procedure_execution set dead_lettered_at = coalesce(dead_lettered_at, now())
    where procedure_execution_id = ${id} and status = 'failed'
    returning error_text`;
  if (noted) {
    log.error('dead-lettered execution failed', {
      alert: true,
      procedure_execution_id: id,
      step,
      error: noted.error_text,
    });
    return 'already-failed';
  }
  const exists = await findExecution(sql, id);
  log.info(exists ? 'dead letter for a step already taken; nothing to do' : 'dead letter names no execution', {
    procedure_execution_id: id,
    step,
  });
  return exists ? 'stale' : 'unknown';
}

/** The execution to redrive does not exist. */
export class ExecutionNotFoundError extends Error {
  override name = 'ExecutionNotFoundError';
  constructor(readonly id: string) {
    super(`no execution ${id}`);
  }
}

/** Only a failed execution can be redriven. */
export class ExecutionNotFailedError extends Error {
  override name = 'ExecutionNotFailedError';
  constructor(
    readonly id: string,
    readonly status: string,
  ) {
    super(`execution ${id} is ${status}, not failed: only a failed execution can be redriven`);
  }
}

/**
 * Redrives a failed execution from its last checkpoint: waiting again at the step it failed in,
 * its cause and the watchdog's count cleared, its message sent. Throws ExecutionNotFoundError,
 * ExecutionNotFailedError, or ExecutionConflictError when another execution now holds its
 * concurrency key. Returns the execution before and after (for an audit record).
 */
export async function redriveExecution(
  sql: Sql,
  queue: Queue<IngestMessage>,
  id: string,
): Promise<{ before: ProcedureExecutionRow; after: ProcedureExecutionRow }> {
  const before = await findExecution(sql, id);
  if (!before) throw new ExecutionNotFoundError(id);
  if (before.status !== 'failed') throw new ExecutionNotFailedError(id, before.status);
  let after: ProcedureExecutionRow | undefined;
  try {
    [after] = await sql<ProcedureExecutionRow[]>`
      update procedure_execution
      set status = 'waiting', finished_at = null, error_text = null, heartbeat_at = now(), wake_up_at = now(),
          watchdog_resend_count = 0, stall_reason_text = null
      where procedure_execution_id = ${id} and status = 'failed'
      returning *`;
  } catch (error) {
    if (isUniqueViolation(error, 'procedure_execution_one_active_per_concurrency_key') && before.concurrency_key) {
      throw new ExecutionConflictError(before.concurrency_key);
    }
    throw error;
  }
  // Redriven by someone else between the read and the update.
  if (!after) throw new ExecutionNotFailedError(id, (await findExecution(sql, id))?.status ?? 'gone');
  try {
    await queue.send({ procedureExecutionId: id, step: after.step_count });
  } catch (error) {
    await failExecution(sql, id, error);
    throw error;
  }
  log.info('execution redriven', {
    procedure_execution_id: id,
    kind: after.procedure_kind,
    step: after.step_count,
    previous_error: before.error_text,
  });
  return { before, after };
}
