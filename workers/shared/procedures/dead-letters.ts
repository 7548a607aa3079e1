/**
 * Dead letters. A queue message that exhausted its retries reaches the dead-letter queue, whose
 * consumer (workers/ingest/src/consumer.ts) records it on the execution it names: failed with the
 * cause when the last delivery could not record it (the database was down). What an operator does
 * next (redrive it) is operator-actions.ts.
 */

import { and, eq, sql as sqlText } from 'drizzle-orm';
import { procedureExecution } from '#db/schema.ts';
import { drizzleOf } from '#shared/db/transaction.ts';
import type { Sql } from '#shared/db/types.ts';
import { log } from '../logging.ts';
import { activeExecution, findExecution, now } from './execution.ts';
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
  letter: { procedureExecutionId: string; step?: number },
): Promise<DeadLetterOutcome> {
  const { procedureExecutionId: id, step } = letter;
  const cause = `its queue message${step === undefined ? '' : ` for step ${step}`} was dead-lettered after ${INGEST_QUEUE_MAX_RETRIES + 1} deliveries, and the last one could not record why (the database did not answer; its cause is in the 'queue message dead-lettered' log line of this execution)`;
  const db = drizzleOf(sql);
  const [row] = await db
    .update(procedureExecution)
    .set({ status: 'failed', finishedAt: now, heartbeatAt: now, errorText: cause, deadLetteredAt: now })
    .where(and(activeExecution(id), step === undefined ? undefined : eq(procedureExecution.stepCount, step)))
    .returning({ parent_procedure_execution_id: procedureExecution.parentProcedureExecutionId });
  if (row) {
    log.error('dead-lettered execution failed', { alert: true, procedure_execution_id: id, step, error: cause });
    if (row.parent_procedure_execution_id) await nudgeExecution(sql, queue, row.parent_procedure_execution_id);
    return 'failed';
  }
  const [noted] = await db
    .update(procedureExecution)
    .set({ deadLetteredAt: sqlText`coalesce(${procedureExecution.deadLetteredAt}, now())` })
    .where(and(eq(procedureExecution.procedureExecutionId, id), eq(procedureExecution.status, 'failed')))
    .returning({ error_text: procedureExecution.errorText });
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
