import { describeIdentity } from '#shared/access/identity.ts';
import { ApiError } from '#shared/http/errors.ts';
import { replayReport, selectReplayEntities } from '#shared/ingest/replay.procedure.ts';
import { ExecutionConflictError, findExecution } from '#shared/procedures/execution.ts';
import { enqueueExecution } from '#shared/procedures/runner.ts';
import { activeExecutionOf } from '#shared/procedures/watchdog.ts';
import { ingestConfig } from '../../config.ts';
import type { AppRouteHandler } from '../../lib/router.ts';
import type { DetailRoute, StartRoute } from './replay.routes.ts';

export const start: AppRouteHandler<StartRoute> = async (c) => {
  const parameters = c.req.valid('json');
  const sql = c.var.database.sql;
  const { entities, unknownKeys } = await selectReplayEntities(sql, parameters);
  if (unknownKeys.length > 0) throw new ApiError(404, 'no archived export has these keys', { keys: unknownKeys });
  if (entities.length === 0) throw new ApiError(404, 'no archived export was written in that time range');
  try {
    const execution = await enqueueExecution(
      sql,
      c.env.INGEST_QUEUE,
      {
        kind: 'replay',
        triggerSource: `api:${describeIdentity(c.var.identity)}`,
        parameters,
        concurrencyKey: 'replay',
      },
      { actor: c.var.identity, kind: 'replay.trigger' },
    );
    return c.json(
      {
        procedure_execution_id: execution.procedure_execution_id,
        status: execution.status,
        exports: entities.map((e) => e.key),
      },
      202,
    );
  } catch (error) {
    if (error instanceof ExecutionConflictError) {
      // Name the blocking replay, so an operator can follow it or clear it.
      const active = await activeExecutionOf(sql, 'replay', ingestConfig.read(c.env, 'liveness'));
      throw new ApiError(
        409,
        'a replay is already queued or running',
        active ? { procedure_execution_id: active.id, stalled: active.stalled } : undefined,
      );
    }
    throw error;
  }
};

export const detail: AppRouteHandler<DetailRoute> = async (c) => {
  const { id } = c.req.valid('param');
  const execution = await findExecution(c.var.database.sql, id);
  if (execution?.procedure_kind !== 'replay') throw new ApiError(404, `replay ${id} not found`);
  return c.json(replayReport(execution), 200);
};
