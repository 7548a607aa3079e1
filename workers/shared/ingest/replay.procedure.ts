/**
 * Replay (the rollback path): loads chosen archived exports (information_bearing_entity) from R2
 * into the raw tables again, oldest first, then rebuilds the marts, and reports the raw tables'
 * row counts before and after. Loads are upserts with the legacy semantics, so replaying the same
 * exports twice changes nothing the first replay did not; staff data is never touched.
 *
 * The `replay` ProcedureExecution {from?, to?, keys?} (one at a time): exports archived in
 * [from, to] and/or named by key; each is loaded by a `load` child, one after the other; then a
 * full `marts` refresh (with classification) runs as the last child.
 */
import { and, gte, lte, sql as sqlText } from 'drizzle-orm';
import { z } from 'zod';
import { informationBearingEntity as entity } from '#db/schema.ts';
import { drizzleOf } from '#shared/db/transaction.ts';
import type { Sql } from '#shared/db/types.ts';
import { freshReadCondition } from '../db/fresh.ts';
import { checkpointExecution, findExecution, type ProcedureExecutionRow } from '../procedures/execution.ts';
import { enqueueExecution, type ProcedureStep } from '../procedures/runner.ts';
import { type RawTableCounts, rawTableCounts } from './raw-counts.ts';

export const replayParametersSchema = z
  .strictObject({
    from: z.iso.datetime({ offset: true }).optional(),
    to: z.iso.datetime({ offset: true }).optional(),
    keys: z.array(z.string().min(1)).max(10_000).optional(),
  })
  .refine((p) => p.from || p.to || (p.keys && p.keys.length > 0), {
    message: 'name the exports to replay: a time range (from, to) and/or keys',
  })
  .refine((p) => !p.from || !p.to || Date.parse(p.from) <= Date.parse(p.to), { message: 'from must not be after to' });
export type ReplayParameters = z.infer<typeof replayParametersSchema>;

export interface ReplayState {
  phase: 'load' | 'marts' | 'done';
  entities: { id: string; key: string; resource: string }[];
  /** Index of the export being loaded. */
  index: number;
  child?: string;
  before: RawTableCounts;
  after?: RawTableCounts;
  rows: number;
}

/** Within one moment, products before the orders that name them, and refunds after their orders. */
const RESOURCE_ORDER = sqlText`case ${entity.resourceName} when 'products' then 0 when 'orders' then 1 when 'refunds' then 2 else 3 end`;

/** The exports a replay would load, in load order; and the keys that name no export. */
export async function selectReplayEntities(
  sql: Sql,
  parameters: ReplayParameters,
): Promise<{ entities: ReplayState['entities']; unknownKeys: string[] }> {
  const keys = parameters.keys ?? [];
  const entities = await drizzleOf(sql)
    .select({ id: entity.informationBearingEntityId, key: entity.objectKey, resource: entity.resourceName })
    .from(entity)
    .where(
      and(
        freshReadCondition,
        parameters.from ? gte(entity.createdAt, sqlText`${parameters.from}::timestamptz`) : undefined,
        parameters.to ? lte(entity.createdAt, sqlText`${parameters.to}::timestamptz`) : undefined,
        // Up to 10 000 keys: one jsonb parameter rather than one parameter each.
        keys.length > 0
          ? sqlText`${entity.objectKey} in (select jsonb_array_elements_text(${JSON.stringify(keys)}::text::jsonb))`
          : undefined,
      ),
    )
    .orderBy(entity.createdAt, RESOURCE_ORDER, entity.objectKey);
  const found = new Set(entities.map((e) => e.key));
  return { entities: [...entities], unknownKeys: keys.filter((k) => !found.has(k)) };
}

export const replayStep: ProcedureStep = async ({ database, env, execution, log }) => {
  const { sql } = database;
  const id = execution.procedure_execution_id;
  const saved = execution.checkpoint_state as Partial<ReplayState>;
  let state: ReplayState;
  if (saved.phase) {
    state = saved as ReplayState;
  } else {
    const parameters = replayParametersSchema.parse(execution.parameters);
    const { entities, unknownKeys } = await selectReplayEntities(sql, parameters);
    if (unknownKeys.length > 0) throw new Error(`no archived export has the key(s) ${unknownKeys.join(', ')}`);
    state = { phase: 'load', entities, index: 0, before: await rawTableCounts(sql), rows: 0 };
    await checkpointExecution(sql, id, { checkpoint: { ...state } });
    log.info('replay selected its exports', { exports: entities.length });
  }
  const next = (after: number) => ({
    outcome: 'continue' as const,
    checkpoint: { ...state },
    rowsProcessed: state.rows,
    delaySeconds: after,
  });

  if (state.child) {
    const child = await findExecution(sql, state.child);
    if (!child) throw new Error(`child execution ${state.child} is missing`);
    if (child.status === 'failed') {
      const what = state.phase === 'load' ? `loading ${state.entities[state.index]?.key}` : 'the marts refresh';
      throw new Error(`${what} failed: ${child.error_text ?? 'no cause recorded'}`);
    }
    if (child.status !== 'succeeded') return next(60);
    state.child = undefined;
    if (state.phase === 'load') {
      state.rows += child.rows_processed_count;
      state.index += 1;
    } else {
      state.phase = 'done';
    }
  }
  if (state.phase === 'load' && state.index >= state.entities.length) state.phase = 'marts';

  if (state.phase === 'load') {
    const entity = state.entities[state.index] as ReplayState['entities'][number];
    const load = await enqueueExecution(sql, env.INGEST_QUEUE, {
      kind: 'load',
      triggerSource: 'procedure:replay',
      parentId: id,
      parameters: { information_bearing_entity_id: entity.id },
    });
    state.child = load.procedure_execution_id;
    return next(60);
  }
  if (state.phase === 'marts') {
    const marts = await enqueueExecution(sql, env.INGEST_QUEUE, {
      kind: 'marts',
      triggerSource: 'procedure:replay',
      parentId: id,
      parameters: { mode: 'full' },
    });
    state.child = marts.procedure_execution_id;
    return next(60);
  }
  state.after = await rawTableCounts(sql);
  await checkpointExecution(sql, id, { checkpoint: { ...state }, rowsProcessed: state.rows });
  log.info('replay finished', { exports: state.entities.length, before: state.before, after: state.after });
  return { outcome: 'done', rowsProcessed: state.rows };
};

/** What GET /replay/:id reports. */
export function replayReport(execution: ProcedureExecutionRow) {
  const state = execution.checkpoint_state as Partial<ReplayState>;
  return {
    procedure_execution_id: execution.procedure_execution_id,
    status: execution.status,
    error: execution.error_text,
    parameters: execution.parameters,
    exports: state.entities?.map((e) => e.key) ?? [],
    loaded: state.phase === 'done' ? (state.entities?.length ?? 0) : (state.index ?? 0),
    rows_processed: execution.rows_processed_count,
    counts: { before: state.before ?? null, after: state.after ?? null },
    requested_at: execution.requested_at,
    finished_at: execution.finished_at,
  };
}
