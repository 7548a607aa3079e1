/**
 * The Access-protected execution entry of the ingest Worker (admin role), for operators:
 *   GET  /executions/:id          → its state: status, step, cause, liveness, dead letter
 *   POST /executions/:id/redrive  → 202: a failed execution waits again at the step it failed in,
 *                                   from its last checkpoint, and its message is sent
 *   POST /executions/:id/fail {reason} → an active execution failed with the reason (frees its
 *                                   concurrency key: what clears a run that blocks a schedule)
 * The work is workers/shared/procedures/operator-actions.ts.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { type AccessBindings, accessConfiguration, authenticate, requireRole } from '../../shared/access/middleware.ts';
import { ApiError } from '../../shared/http/errors.ts';
import {
  ExecutionConflictError,
  findExecution,
  type ProcedureExecutionRow,
} from '../../shared/procedures/execution.ts';
import {
  ExecutionNotActiveError,
  ExecutionNotFailedError,
  ExecutionNotFoundError,
  failExecutionByOperator,
  redriveExecution,
} from '../../shared/procedures/operator-actions.ts';
import { ingestConfig } from './config.ts';

const executionIdSchema = z.uuid({ message: 'the execution id must be a uuid' });
const failRequestSchema = z.strictObject({ reason: z.string().trim().min(1).max(500) });

function executionId(raw: string): string {
  const parsed = executionIdSchema.safeParse(raw);
  if (!parsed.success) throw new ApiError(400, parsed.error.issues[0]?.message ?? 'invalid execution id');
  return parsed.data;
}

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

export function executionRoutes() {
  const routes = new Hono<AccessBindings>();
  routes.use('*', accessConfiguration(ingestConfig), authenticate(), requireRole('admin'));

  routes.get('/:id', async (c) => {
    const id = executionId(c.req.param('id'));
    const execution = await findExecution(c.var.database.sql, id);
    if (!execution) throw new ApiError(404, `execution ${id} not found`);
    return c.json(describeExecution(execution));
  });

  routes.post('/:id/redrive', async (c) => {
    const id = executionId(c.req.param('id'));
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
  });

  routes.post('/:id/fail', async (c) => {
    const id = executionId(c.req.param('id'));
    const body = await c.req.json().catch(() => {
      throw new ApiError(400, 'the body must be JSON: {"reason": "why it is failed"}');
    });
    const parsed = failRequestSchema.safeParse(body);
    if (!parsed.success) {
      throw new ApiError(
        400,
        'invalid fail request',
        parsed.error.issues.map((i) => ({ path: i.path, message: i.message })),
      );
    }
    try {
      const { after } = await failExecutionByOperator(c.var.database.sql, c.env.INGEST_QUEUE, id, {
        reason: parsed.data.reason,
        actor: c.var.identity,
      });
      return c.json(describeExecution(after));
    } catch (error) {
      if (error instanceof ExecutionNotFoundError) throw new ApiError(404, `execution ${id} not found`);
      if (error instanceof ExecutionNotActiveError) throw new ApiError(409, error.message, { status: error.status });
      throw error;
    }
  });
  return routes;
}
