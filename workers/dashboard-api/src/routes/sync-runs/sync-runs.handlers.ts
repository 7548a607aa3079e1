import { getSyncRun, listSyncRuns, triggerSyncRun } from '#shared/procedures/sync-runs.ts';
import * as HttpStatus from '../../lib/http-status.ts';
import type { AppRouteHandler } from '../../lib/types.ts';
import type { DetailRoute, ListRoute, TriggerRoute } from './sync-runs.routes.ts';

export const list: AppRouteHandler<ListRoute> = async (c) => {
  return c.json(await listSyncRuns(c.var.database.sql, c.req.valid('query')), HttpStatus.OK);
};

export const detail: AppRouteHandler<DetailRoute> = async (c) => {
  return c.json(await getSyncRun(c.var.database.sql, c.req.valid('param').id), HttpStatus.OK);
};

export const trigger: AppRouteHandler<TriggerRoute> = async (c) => {
  const run = await triggerSyncRun(c.var.database.sql, c.env.INGEST_QUEUE, c.req.valid('json').kind, c.var.identity);
  return c.json(run, HttpStatus.ACCEPTED);
};
