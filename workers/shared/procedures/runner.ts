/**
 * Runs one step of a recorded ProcedureExecution. Each procedure kind registers a step function;
 * a step returns `done` (the execution succeeds), or `continue` with a checkpoint (the execution
 * waits and a delayed message resumes it), so long work fits the queue consumer's wall time and a
 * killed step resumes from the last checkpoint.
 */
import type { Database, Sql } from '../db/client.ts';
import type { Env } from '../env.ts';
import { log } from '../logging.ts';
import {
  checkpointExecution,
  claimExecution,
  failExecution,
  type ProcedureExecutionRow,
  type ProcedureKind,
  recordExecution,
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

const registry = new Map<ProcedureKind, ProcedureStep>();

/** Procedures register themselves here; one registration per kind. */
export function registerProcedure(kind: ProcedureKind, step: ProcedureStep): void {
  registry.set(kind, step);
}

export async function enqueueExecution(
  sql: Sql,
  queue: Queue<IngestMessage>,
  input: Parameters<typeof recordExecution>[1],
): Promise<ProcedureExecutionRow> {
  const execution = await recordExecution(sql, input);
  try {
    await queue.send({ procedureExecutionId: execution.procedure_execution_id });
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

export async function runProcedureExecution(input: {
  database: Database;
  env: Env;
  ctx: Pick<ExecutionContext, 'waitUntil'>;
  procedureExecutionId: string;
}): Promise<void> {
  const { database, env, ctx, procedureExecutionId } = input;
  const execution = await claimExecution(database.sql, procedureExecutionId);
  const executionLog = log.with({ procedure_execution_id: procedureExecutionId });
  if (!execution) {
    executionLog.info('execution already finished or unknown; message acknowledged without work');
    return;
  }
  const step = registry.get(execution.procedure_kind);
  if (!step) {
    await failExecution(
      database.sql,
      procedureExecutionId,
      `no procedure is registered for kind ${execution.procedure_kind}`,
    );
    executionLog.error('no procedure registered', { kind: execution.procedure_kind });
    return;
  }
  try {
    const result = await step({ database, env, ctx, execution, log: executionLog });
    if (result.outcome === 'done') {
      await succeedExecution(database.sql, procedureExecutionId, result.rowsProcessed);
      executionLog.info('execution succeeded', { kind: execution.procedure_kind, rows: result.rowsProcessed });
    } else {
      await checkpointExecution(database.sql, procedureExecutionId, {
        checkpoint: result.checkpoint,
        rowsProcessed: result.rowsProcessed,
        status: 'waiting',
      });
      await env.INGEST_QUEUE.send({ procedureExecutionId }, { delaySeconds: result.delaySeconds ?? 0 });
    }
  } catch (error) {
    await failExecution(database.sql, procedureExecutionId, error);
    executionLog.error('execution failed', {
      kind: execution.procedure_kind,
      error: error instanceof Error ? error.message : String(error),
    });
  }
}
