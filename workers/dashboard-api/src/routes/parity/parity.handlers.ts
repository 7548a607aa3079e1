import { ApiError } from '../../../../shared/http/errors.ts';
import { evaluateCutoverGate, readCutoverGateConfig } from '../../../../shared/parity/cutover-gate.ts';
import { readParityTolerance } from '../../../../shared/parity/standard.ts';
import { findParityRun, listParityRuns } from '../../../../shared/parity/store.ts';
import { triggerParityRun } from '../../../../shared/parity/trigger.ts';
import * as HttpStatus from '../../lib/http-status.ts';
import type { AppRouteHandler } from '../../lib/types.ts';
import type { CutoverGateRoute, DetailRoute, ListRoute, TriggerRoute } from './parity.routes.ts';

export const list: AppRouteHandler<ListRoute> = async (c) => {
  const runs = await listParityRuns(c.var.database.sql, c.req.valid('query'), readParityTolerance(c.env));
  return c.json(runs, HttpStatus.OK);
};

export const detail: AppRouteHandler<DetailRoute> = async (c) => {
  const { id } = c.req.valid('param');
  const run = await findParityRun(c.var.database.sql, id, readParityTolerance(c.env));
  if (!run) throw new ApiError(404, `parity run ${id} not found`);
  return c.json(run, HttpStatus.OK);
};

export const trigger: AppRouteHandler<TriggerRoute> = async (c) => {
  const run = await triggerParityRun(
    c.var.database.sql,
    c.env.INGEST_QUEUE,
    c.req.valid('json'),
    c.var.identity,
    readParityTolerance(c.env),
  );
  return c.json(run, HttpStatus.ACCEPTED);
};

export const cutoverGate: AppRouteHandler<CutoverGateRoute> = async (c) => {
  const gate = await evaluateCutoverGate(c.var.database.sql, readCutoverGateConfig(c.env));
  return c.json(gate, HttpStatus.OK);
};
