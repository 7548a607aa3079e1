import { createRoute, z } from '@hono/zod-openapi';
import { CHECK_NAMES } from '#shared/parity/comparison.ts';
import { parityParametersSchema } from '#shared/parity/parameters.ts';
import { PARITY_RUN_STATUSES } from '#shared/parity/store.ts';
import * as HttpStatus from '../../lib/http-status.ts';
import {
  access,
  errorResponses,
  isoTimestamp,
  jsonContent,
  pageQuery,
  pageSchema,
  shopDate,
  uuidParams,
} from '../../lib/schemas.ts';

const tags = ['parity'];
const VERDICTS = ['pass', 'fail', 'error'] as const;

const checkValueSchema = z
  .union([z.number(), z.record(z.string(), z.number())])
  .nullable()
  .openapi({ description: 'a count or sum; per bucket for the classification distribution' });

const checkFields = {
  name: z.enum(CHECK_NAMES),
  legacy_value: checkValueSchema,
  new_value: checkValueSchema,
  difference: z
    .number()
    .nullable()
    .openapi({ description: 'symmetric relative difference |a−b|/max(|a|,|b|); the worst part for multi-part checks' }),
  tolerance: z.number().openapi({ example: 0.01 }),
  verdict: z.enum(VERDICTS),
};

export const parityCheckSchema = z
  .object({
    ...checkFields,
    details: z
      .object({ summary: z.string() })
      .catchall(z.unknown())
      .openapi({ description: 'a one-line summary, plus where the two sides differ (keys, products, days, buckets)' }),
  })
  .openapi('ParityCheck');

const parityCheckSummarySchema = z.object({ ...checkFields, summary: z.string() }).openapi('ParityCheckSummary');

const runFields = {
  id: z.string().openapi({ description: 'the procedure execution id' }),
  status: z.enum(PARITY_RUN_STATUSES),
  trigger_source: z.string().openapi({ example: 'api:staff@example.com' }),
  requested_at: isoTimestamp,
  started_at: isoTimestamp.nullable(),
  finished_at: isoTimestamp.nullable(),
  error: z.string().nullable(),
  verdict: z.enum(VERDICTS).nullable().openapi({ description: 'null until the run has finished' }),
  standard: z.boolean().openapi({
    description:
      'made with the configured tolerance (PARITY_TOLERANCE, default 1%) over the standard window: only standard runs count for the cutover gate; the others are ad hoc',
  }),
  window: z.object({ from: shopDate, to: shopDate, through: shopDate.nullable() }).nullable(),
  watermark_at: isoTimestamp.nullable(),
  legacy_synced_at: isoTimestamp.nullable(),
  new_synced_at: isoTimestamp.nullable(),
};

export const parityRunSchema = z.object({ ...runFields, checks: z.array(parityCheckSchema) }).openapi('ParityRun');
const parityRunListItemSchema = z
  .object({ ...runFields, checks: z.array(parityCheckSummarySchema) })
  .openapi('ParityRunListItem');

export const cutoverGateSchema = z
  .object({
    state: z.enum(['open', 'closed']),
    reason: z.string(),
    required_runs: z.number().int(),
    minimum_span_hours: z.number(),
    runs: z
      .array(
        z.object({
          id: z.string().nullable(),
          verdict: z.enum(VERDICTS),
          started_at: isoTimestamp,
          failing_checks: z.array(z.string()),
        }),
      )
      .openapi({ description: 'the standard runs the decision counted, newest first' }),
    ignored_runs: z
      .array(
        z.object({
          id: z.string().nullable(),
          started_at: isoTimestamp,
          verdict: z.enum(VERDICTS),
          standard: z.boolean(),
          reason: z.string().openapi({ example: 'ad hoc: tolerance 5% instead of 1%' }),
        }),
      )
      .openapi({ description: 'the other recent runs, newest first, each with why it did not count' }),
    tolerance: z.number().openapi({ description: 'the tolerance a standard run uses', example: 0.01 }),
    span_hours: z.number(),
    evaluated_at: isoTimestamp,
  })
  .openapi('CutoverGate');

export const list = createRoute({
  method: 'get',
  path: '/api/parity-checks',
  tags,
  summary: 'Parity runs, newest first (checks without their details)',
  ...access('viewer'),
  request: { query: z.object({ verdict: z.enum(VERDICTS).optional(), ...pageQuery }) },
  responses: {
    [HttpStatus.OK]: jsonContent(pageSchema(parityRunListItemSchema, 'ParityRunPage'), 'A page of parity runs'),
    ...errorResponses(),
  },
});

export const detail = createRoute({
  method: 'get',
  path: '/api/parity-checks/{id}',
  tags,
  summary: "One parity run with every check's details",
  ...access('viewer'),
  request: { params: uuidParams },
  responses: {
    [HttpStatus.OK]: jsonContent(parityRunSchema, 'The parity run'),
    ...errorResponses(HttpStatus.NOT_FOUND),
  },
});

export const trigger = createRoute({
  method: 'post',
  path: '/api/parity-checks',
  tags,
  summary: 'Start a parity run (one at a time); it runs on the ingest Worker',
  description:
    'The body is optional: `from`/`to` override the window (default: the 30 shop-local days ending the day before the common watermark), `tolerance` the 1% default.',
  ...access('staff'),
  request: {
    body: {
      required: false,
      content: { 'application/json': { schema: parityParametersSchema.openapi('NewParityRun') } },
    },
  },
  responses: {
    [HttpStatus.ACCEPTED]: jsonContent(parityRunSchema, 'The run, queued'),
    ...errorResponses(HttpStatus.CONFLICT, HttpStatus.TOO_MANY_REQUESTS),
  },
});

export const cutoverGate = createRoute({
  method: 'get',
  path: '/api/cutover-gate',
  tags,
  summary: 'Whether the cutover gate is open, and why',
  ...access('viewer'),
  responses: {
    [HttpStatus.OK]: jsonContent(cutoverGateSchema, 'The gate'),
    ...errorResponses(),
  },
});

export type ListRoute = typeof list;
export type DetailRoute = typeof detail;
export type TriggerRoute = typeof trigger;
export type CutoverGateRoute = typeof cutoverGate;
