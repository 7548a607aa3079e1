import { ApiError } from '#shared/http/errors.ts';
import { evaluateCutoverGate } from '#shared/parity/cutover-gate.ts';
import { findParityRun, listParityRuns } from '#shared/parity/store.ts';
import { triggerParityRun } from '#shared/parity/trigger.ts';
import { dashboardApiConfig } from '../../config.ts';
import * as HttpStatus from '../../lib/http-status.ts';
import type { AppRouteHandler } from '../../lib/types.ts';
import type { CutoverGateRoute, DetailRoute, ListRoute, TriggerRoute } from './parity.routes.ts';

export const list: AppRouteHandler<ListRoute> = async (c) => {
  const runs = await listParityRuns(
    c.var.database.sql,
    c.req.valid('query'),
    dashboardApiConfig.read(c.env, 'parity').tolerance,
  );
  return c.json(runs, HttpStatus.OK);
};

export const detail: AppRouteHandler<DetailRoute> = async (c) => {
  const { id } = c.req.valid('param');
  const run = await findParityRun(c.var.database.sql, id, dashboardApiConfig.read(c.env, 'parity').tolerance);
  if (!run) throw new ApiError(404, `parity run ${id} not found`);
  return c.json(run, HttpStatus.OK);
};

export const trigger: AppRouteHandler<TriggerRoute> = async (c) => {
  const run = await triggerParityRun(
    c.var.database.sql,
    c.env.INGEST_QUEUE,
    c.req.valid('json'),
    c.var.identity,
    dashboardApiConfig.read(c.env, 'parity').tolerance,
  );
  return c.json(run, HttpStatus.ACCEPTED);
};

export const cutoverGate: AppRouteHandler<CutoverGateRoute> = async (c) => {
  const gate = await evaluateCutoverGate(c.var.database.sql, dashboardApiConfig.read(c.env, 'cutoverGate'));
  return c.json(gate, HttpStatus.OK);
};
