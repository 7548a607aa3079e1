/**
 * The mart ProcedureExecutions (steps in workers/shared/procedures/registry.ts):
 *
 * - `marts` {mode?: 'full' | 'touched', from?, to?, classify?}: mode 'full' (the default, what a
 *   legacy "marts" sync run did) rebuilds [from, to] (unbounded when absent); mode 'touched'
 *   recomputes the keys recorded by loads (and rebuilds everything when it must, see
 *   performance-dataset.ts). Touched refreshes may overlap safely (they take turns on a lock), so
 *   loads can enqueue one without a concurrency key. With `classify` (default: true for 'full')
 *   it then enqueues a `classify` child, so the nightly flow is refresh → classify.
 * - `classify` {as_of?}: classify_products(as_of).
 */
import { z } from 'zod';
import { ExecutionConflictError } from '../procedures/execution.ts';
import { enqueueExecution, type ProcedureStep } from '../procedures/runner.ts';
import { classifyProducts } from './classification.ts';
import { refreshPerformanceDataset, refreshTouchedKeys } from './performance-dataset.ts';

const shopLocalDate = z.iso.date();

export const martsParametersSchema = z.strictObject({
  mode: z.enum(['full', 'touched']).default('full'),
  from: shopLocalDate.optional(),
  to: shopLocalDate.optional(),
  classify: z.boolean().optional(),
});
export type MartsParameters = z.input<typeof martsParametersSchema>;

export const classifyParametersSchema = z.strictObject({ as_of: shopLocalDate.optional() });
export type ClassifyParameters = z.input<typeof classifyParametersSchema>;

/** Parameters or a readable error (it becomes the execution's recorded cause). */
function parseParameters<T extends z.ZodType>(kind: string, schema: T, value: unknown): z.output<T> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new Error(`invalid ${kind} parameters: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

export const martsStep: ProcedureStep = async ({ database, env, execution, log }) => {
  const parameters = parseParameters('marts', martsParametersSchema, execution.parameters);
  if (parameters.mode === 'touched' && (parameters.from || parameters.to)) {
    throw new Error('a touched-keys refresh takes no from/to: use mode "full" for a date range');
  }
  const result =
    parameters.mode === 'touched'
      ? await refreshTouchedKeys(database.sql)
      : await refreshPerformanceDataset(database.sql, { from: parameters.from, to: parameters.to });
  log.info('performance dataset refreshed', { ...result });
  if (parameters.classify ?? parameters.mode === 'full') {
    try {
      await enqueueExecution(database.sql, env.INGEST_QUEUE, {
        kind: 'classify',
        triggerSource: 'procedure:marts',
        parentId: execution.procedure_execution_id,
        concurrencyKey: 'classify',
      });
    } catch (error) {
      if (!(error instanceof ExecutionConflictError)) throw error;
      log.info('classify already queued or running; not enqueued again');
    }
  }
  return { outcome: 'done', rowsProcessed: result.rows };
};

export const classifyStep: ProcedureStep = async ({ database, execution, log }) => {
  const parameters = parseParameters('classify', classifyParametersSchema, execution.parameters);
  const updated = await classifyProducts(database.sql, parameters.as_of);
  log.info('products classified', { updated, as_of: parameters.as_of ?? null });
  return { outcome: 'done', rowsProcessed: updated };
};
