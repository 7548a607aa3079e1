/**
 * The Access-protected replay entry of the ingest Worker (admin role):
 *   POST /replay {from?, to?, keys?}  → 202 the recorded replay and the exports it will load
 *   GET  /replay/:id                  → its progress and the raw tables' counts before and after
 * The work is the `replay` ProcedureExecution (workers/shared/ingest/replay.procedure.ts).
 */
import { Hono } from 'hono';
import { describeIdentity } from '../../shared/access/identity.ts';
import { type AccessBindings, accessConfiguration, authenticate, requireRole } from '../../shared/access/middleware.ts';
import { ApiError } from '../../shared/http/errors.ts';
import { rateLimitWrites } from '../../shared/http/rate-limit.ts';
import { replayParametersSchema, replayReport, selectReplayEntities } from '../../shared/ingest/replay.procedure.ts';
import { ExecutionConflictError, findExecution } from '../../shared/procedures/execution.ts';
import { enqueueExecution } from '../../shared/procedures/runner.ts';
import { activeExecutionOf } from '../../shared/procedures/watchdog.ts';
import { uuidSchema } from '../../shared/uuid.ts';
import { ingestConfig } from './config.ts';

export function replayRoutes() {
  const routes = new Hono<AccessBindings>();
  routes.use('*', accessConfiguration(ingestConfig), authenticate(), requireRole('admin'), rateLimitWrites());

  routes.post('/', async (c) => {
    const body = await c.req.json().catch(() => {
      throw new ApiError(400, 'the body must be JSON: {"from"?, "to"?, "keys"?}');
    });
    const parsed = replayParametersSchema.safeParse(body);
    if (!parsed.success) {
      throw new ApiError(
        400,
        'invalid replay request',
        parsed.error.issues.map((i) => ({ path: i.path, message: i.message })),
      );
    }
    const sql = c.var.database.sql;
    const { entities, unknownKeys } = await selectReplayEntities(sql, parsed.data);
    if (unknownKeys.length > 0) throw new ApiError(404, 'no archived export has these keys', { keys: unknownKeys });
    if (entities.length === 0) throw new ApiError(404, 'no archived export was written in that time range');
    try {
      const execution = await enqueueExecution(
        sql,
        c.env.INGEST_QUEUE,
        {
          kind: 'replay',
          triggerSource: `api:${describeIdentity(c.var.identity)}`,
          parameters: parsed.data,
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
  });

  routes.get('/:id', async (c) => {
    const id = c.req.param('id');
    if (!uuidSchema.safeParse(id).success) throw new ApiError(400, 'the replay id must be a uuid');
    const execution = await findExecution(c.var.database.sql, id);
    if (execution?.procedure_kind !== 'replay') throw new ApiError(404, `replay ${id} not found`);
    return c.json(replayReport(execution));
  });
  return routes;
}
