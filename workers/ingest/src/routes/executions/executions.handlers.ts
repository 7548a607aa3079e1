import { ApiError } from '#shared/http/errors.ts';
import { ExecutionConflictError, findExecution, type ProcedureExecutionRow } from '#shared/procedures/execution.ts';
import {
  ExecutionNotActiveError,
  ExecutionNotFailedError,
  ExecutionNotFoundError,
  failExecutionByOperator,
  redriveExecution,
} from '#shared/procedures/operator-actions.ts';
import type { AppRouteHandler } from '../../lib/router.ts';
import type { DetailRoute, FailRoute, RedriveRoute } from './executions.routes.ts';

/** What an operator needs to see of an execution. */
export function describeExecution(row: ProcedureExecutionRow) {
  return {
    procedure_execution_id: row.procedure_execution_id,
    procedure_kind: row.procedure_kind,
    status: row.status,
    step: row.step_count,
    parent_procedure_execution_id: row.parent_procedure_execution_id,
    trigger_source: row.trigger_source,
    attempts: row.attempt_count,
    rows_processed: row.rows_processed_count,
    error: row.error_text,
    requested_at: row.requested_at,
    heartbeat_at: row.heartbeat_at,
    wake_up_at: row.wake_up_at,
    finished_at: row.finished_at,
    watchdog_resends: row.watchdog_resend_count,
    stall_reason: row.stall_reason_text,
    dead_lettered_at: row.dead_lettered_at,
  };
}

export const detail: AppRouteHandler<DetailRoute> = async (c) => {
  const { id } = c.req.valid('param');
  const execution = await findExecution(c.var.database.sql, id);
  if (!execution) throw new ApiError(404, `execution ${id} not found`);
  return c.json(describeExecution(execution), 200);
};

export const redrive: AppRouteHandler<RedriveRoute> = async (c) => {
  const { id } = c.req.valid('param');
  try {
    const { before, after } = await redriveExecution(c.var.database.sql, c.env.INGEST_QUEUE, id, c.var.identity);
    return c.json({ ...describeExecution(after), previous_error: before.error_text }, 202);
  } catch (error) {
    if (error instanceof ExecutionNotFoundError) throw new ApiError(404, `execution ${id} not found`);
    if (error instanceof ExecutionNotFailedError) throw new ApiError(409, error.message, { status: error.status });
    if (error instanceof ExecutionConflictError) {
      throw new ApiError(
        409,
        `another ${error.concurrencyKey} execution is queued or running; redrive it after that one`,
      );
    }
    throw error;
  }
};

export const fail: AppRouteHandler<FailRoute> = async (c) => {
  const { id } = c.req.valid('param');
  try {
    const { after } = await failExecutionByOperator(c.var.database.sql, c.env.INGEST_QUEUE, id, {
      reason: c.req.valid('json').reason,
      actor: c.var.identity,
    });
    return c.json(describeExecution(after), 200);
  } catch (error) {
    if (error instanceof ExecutionNotFoundError) throw new ApiError(404, `execution ${id} not found`);
    if (error instanceof ExecutionNotActiveError) throw new ApiError(409, error.message, { status: error.status });
    throw error;
  }
};
