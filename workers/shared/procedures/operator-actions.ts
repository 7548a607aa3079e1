/**
 * What an operator (admin) does to one execution, over HTTP (workers/ingest/src/routes/executions/)
 * and from the CLI (scripts/execution.ts): the one domain function of each action, returning the
 * execution before and after so a caller can record who did what.
 *
 * - redrive: a failed execution waits again at the step it failed in, from its last checkpoint,
 *   and its message is sent again.
 * - fail: an active execution that blocks its schedule or a CLI (stuck, or no longer wanted) is
 *   failed with the operator's reason, which frees its concurrency key. A step still running finds
 *   it failed and records nothing more (every step's end is conditional on it being active).
 */

import { and, eq } from 'drizzle-orm';
import { procedureExecution } from '#db/schema.ts';
import { isUniqueViolation } from '#shared/db/postgres-errors.ts';
import { drizzleOf } from '#shared/db/transaction.ts';
import type { Sql } from '#shared/db/types.ts';
import { describeIdentity, type Identity } from '../access/identity.ts';
import { recordStaffAction } from '../audit/staff-action.ts';
import { log } from '../logging.ts';
import {
  activeExecution,
  EXECUTION_ROW,
  ExecutionConflictError,
  failExecution,
  findExecution,
  now,
  type ProcedureExecutionRow,
} from './execution.ts';
import type { IngestMessage } from './messages.ts';
import { nudgeExecution } from './runner.ts';

/** What the audit trail keeps of an execution before and after an operator's action. */
const auditedState = (row: ProcedureExecutionRow) => ({
  status: row.status,
  step: row.step_count,
  error: row.error_text,
});

export interface OperatorActionResult {
  before: ProcedureExecutionRow;
  after: ProcedureExecutionRow;
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

/** Only an active (queued, running, waiting) execution can be failed by an operator. */
export class ExecutionNotActiveError extends Error {
  override name = 'ExecutionNotActiveError';
  constructor(
    readonly id: string,
    readonly status: string,
  ) {
    super(`execution ${id} is ${status}, not active: there is nothing to fail`);
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
  actor: Identity,
): Promise<OperatorActionResult> {
  const before = await findExecution(sql, id);
  if (!before) throw new ExecutionNotFoundError(id);
  if (before.status !== 'failed') throw new ExecutionNotFailedError(id, before.status);
  let after: ProcedureExecutionRow | undefined;
  try {
    after = await sql.begin(async (tx) => {
      const [row] = (await drizzleOf(tx)
        .update(procedureExecution)
        .set({
          status: 'waiting',
          finishedAt: null,
          errorText: null,
          heartbeatAt: now,
          wakeUpAt: now,
          watchdogResendCount: 0,
          stallReasonText: null,
        })
        .where(and(eq(procedureExecution.procedureExecutionId, id), eq(procedureExecution.status, 'failed')))
        .returning(EXECUTION_ROW)) as ProcedureExecutionRow[];
      if (row) {
        await recordStaffAction(tx, {
          actor,
          kind: 'execution.redrive',
          target: { kind: 'procedure_execution', id },
          before: auditedState(before),
          after: auditedState(row),
        });
      }
      return row;
    });
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

/**
 * Fails an active execution with the operator's reason (frees its concurrency key); its parent is
 * woken and fails or carries on by its own rules. Throws ExecutionNotFoundError or
 * ExecutionNotActiveError.
 */
export async function failExecutionByOperator(
  sql: Sql,
  queue: Queue<IngestMessage>,
  id: string,
  input: { reason: string; actor: Identity },
): Promise<OperatorActionResult> {
  const before = await findExecution(sql, id);
  if (!before) throw new ExecutionNotFoundError(id);
  const cause = `failed by ${describeIdentity(input.actor)}: ${input.reason}`;
  const after = await sql.begin(async (tx) => {
    const [row] = (await drizzleOf(tx)
      .update(procedureExecution)
      .set({ status: 'failed', finishedAt: now, heartbeatAt: now, errorText: cause })
      .where(activeExecution(id))
      .returning(EXECUTION_ROW)) as ProcedureExecutionRow[];
    if (row) {
      await recordStaffAction(tx, {
        actor: input.actor,
        kind: 'execution.fail',
        target: { kind: 'procedure_execution', id },
        before: auditedState(before),
        after: auditedState(row),
      });
    }
    return row;
  });
  if (!after) throw new ExecutionNotActiveError(id, (await findExecution(sql, id))?.status ?? before.status);
  log.warn('execution failed by an operator', {
    procedure_execution_id: id,
    kind: after.procedure_kind,
    step: after.step_count,
    error: cause,
  });
  if (after.parent_procedure_execution_id) await nudgeExecution(sql, queue, after.parent_procedure_execution_id);
  return { before, after };
}
