import { resolveDateWindow } from '#shared/http/date-window.ts';
import { getDashboardSummary, getSalesTimeseries, getTopProducts } from '#shared/marts/dashboard.ts';
import * as HttpStatus from '../../lib/http-status.ts';
import type { AppRouteHandler } from '../../lib/types.ts';
import type { SummaryRoute, TimeseriesRoute, TopProductsRoute } from './dashboard.routes.ts';

export const summary: AppRouteHandler<SummaryRoute> = async (c) => {
  const sql = c.var.database.sql;
  const window = await resolveDateWindow(sql, c.req.valid('query'));
  return c.json(await getDashboardSummary(sql, window), HttpStatus.OK);
};

export const timeseries: AppRouteHandler<TimeseriesRoute> = async (c) => {
  const sql = c.var.database.sql;
  const query = c.req.valid('query');
  const window = await resolveDateWindow(sql, query);
  const data = await getSalesTimeseries(sql, {
    ...window,
    granularity: query.granularity,
    productId: query.product_id ?? null,
  });
  return c.json({ data }, HttpStatus.OK);
};

export const topProducts: AppRouteHandler<TopProductsRoute> = async (c) => {
  const sql = c.var.database.sql;
  const query = c.req.valid('query');
  const window = await resolveDateWindow(sql, query);
  const data = await getTopProducts(sql, { ...window, limit: query.limit, metric: query.metric });
  return c.json({ data }, HttpStatus.OK);
};
