import { createRoute, z } from '@hono/zod-openapi';
import { GRANULARITIES, TOP_PRODUCT_METRICS } from '#shared/marts/dashboard.ts';
import * as HttpStatus from '../../lib/http-status.ts';
import {
  access,
  dateWindowQuery,
  errorResponses,
  jsonContent,
  limitSchema,
  shopDate,
  shopifyIdSchema,
} from '../../lib/schemas.ts';

const tags = ['dashboard'];

export const summarySchema = z
  .object({
    from: shopDate,
    to: shopDate,
    net_sales: z.number(),
    gross_sales: z.number(),
    discounts: z.number(),
    refunds: z.number(),
    units_sold: z.number().int(),
    orders: z.number().int(),
    average_order_value: z.number(),
    previous: z.object({ net_sales: z.number(), units_sold: z.number().int(), orders: z.number().int() }),
    net_sales_change_pct: z.number().nullable(),
  })
  .openapi('DashboardSummary', { description: 'exactly what the legacy get_dashboard_summary(from, to) returns' });

export const timeseriesSchema = z
  .object({
    data: z.array(
      z.object({
        period_start: shopDate,
        net_sales: z.number(),
        gross_sales: z.number(),
        refunds: z.number(),
        units_sold: z.number().int(),
      }),
    ),
  })
  .openapi('SalesTimeseries');

export const topProductsSchema = z
  .object({
    data: z.array(
      z.object({
        rank: z.number().int(),
        product_id: z.number().int(),
        title: z.string().nullable(),
        net_sales: z.number(),
        units_sold: z.number().int(),
        orders_count: z.number().int(),
      }),
    ),
  })
  .openapi('TopProducts');

export const summary = createRoute({
  method: 'get',
  path: '/api/dashboard/summary',
  tags,
  summary: 'Sales summary for a window and the equally long window before it',
  ...access('viewer'),
  request: { query: z.object(dateWindowQuery) },
  responses: {
    [HttpStatus.OK]: jsonContent(summarySchema, 'The summary'),
    ...errorResponses(),
  },
});

export const timeseries = createRoute({
  method: 'get',
  path: '/api/dashboard/timeseries',
  tags,
  summary: 'Sales per day, ISO week or month (zero-filled), optionally for one product',
  ...access('viewer'),
  request: {
    query: z.object({
      ...dateWindowQuery,
      granularity: z.enum(GRANULARITIES).default('day'),
      product_id: shopifyIdSchema.optional().openapi({ type: 'integer' }),
    }),
  },
  responses: {
    [HttpStatus.OK]: jsonContent(timeseriesSchema, 'One row per period'),
    ...errorResponses(),
  },
});

export const topProducts = createRoute({
  method: 'get',
  path: '/api/dashboard/top-products',
  tags,
  summary: 'Products ranked by net sales or units sold in a window (ties by product id)',
  ...access('viewer'),
  request: {
    query: z.object({
      ...dateWindowQuery,
      limit: limitSchema(500, 100),
      metric: z.enum(TOP_PRODUCT_METRICS).default('net_sales'),
    }),
  },
  responses: {
    [HttpStatus.OK]: jsonContent(topProductsSchema, 'The ranking'),
    ...errorResponses(),
  },
});

export type SummaryRoute = typeof summary;
export type TimeseriesRoute = typeof timeseries;
export type TopProductsRoute = typeof topProducts;
