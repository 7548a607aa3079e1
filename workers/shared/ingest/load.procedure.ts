/**
 * The `load` ProcedureExecution: loads one archived export (information_bearing_entity) from R2
 * into the raw tables in bounded steps. Each unit of work is one archive segment read (an R2
 * range read, decompressed and streamed through the loader; orders read every segment twice,
 * parents then children, see readPasses) or one resolve batch; after each
 * unit the checkpoint is recorded, and after a time budget the step ends with `continue`, so a
 * multi-GB export loads in constant memory and a killed step resumes from its last unit.
 *
 * Parameters: {information_bearing_entity_id, units_per_step?, refresh_marts?}. The load key is
 * the execution's id: staged rows and quarantined lines are found by it.
 */
import { z } from 'zod';
import type { Sql } from '#shared/db/types.ts';
import { checkpointExecution } from '../procedures/execution.ts';
import type { IngestMessage } from '../procedures/messages.ts';
import { enqueueExecution, type ProcedureStep } from '../procedures/runner.ts';
import { findArchivedObject, type InformationBearingEntity, readArchivedLines, segmentsOf } from './archive.ts';
import {
  emptyCounts,
  type LoadCounts,
  type LoadProgress,
  type LoadTarget,
  readPasses,
  resolveNextBatch,
  startProgress,
  streamRecords,
  summarize,
} from './load.ts';

export const loadParametersSchema = z.object({
  information_bearing_entity_id: z.uuid(),
  /** Stop a step after this many units (tests use 1 to exercise resumption); default: time budget. */
  units_per_step: z.number().int().positive().optional(),
  /** Enqueue a touched-keys mart refresh when done (standalone loads; a sync refreshes once at its end). */
  refresh_marts: z.boolean().optional(),
});
export type LoadParameters = z.input<typeof loadParametersSchema>;

export interface LoadCheckpoint {
  /** Next archive segment to read, counted over the resource's read passes (readPasses); == segments × passes once read. */
  segment: number;
  /** Resolve progress, once staging is done. */
  progress: LoadProgress | null;
  counts: LoadCounts;
}

/** A step ends after this much work and continues in a new message (well inside the queue's 15 min). */
export const LOAD_STEP_BUDGET_MS = 20_000;

export function initialLoadCheckpoint(): LoadCheckpoint {
  return { segment: 0, progress: null, counts: emptyCounts() };
}

export function loadTargetFor(executionId: string, entity: InformationBearingEntity): LoadTarget {
  return {
    loadKey: executionId,
    resource: entity.resource_name,
    procedureExecutionId: executionId,
    informationBearingEntityId: entity.information_bearing_entity_id,
  };
}

/** One bounded unit of a load: stage the next segment, or resolve the next batch. Pure in its state. */
export async function runLoadUnit(
  sql: Sql,
  bucket: R2Bucket,
  entity: InformationBearingEntity,
  target: LoadTarget,
  state: LoadCheckpoint,
): Promise<LoadCheckpoint> {
  const segments = segmentsOf(entity);
  const passes = readPasses(target.resource);
  const counts: LoadCounts = structuredClone(state.counts);
  if (state.segment < segments.length * passes.length) {
    // orders read the archive twice (parents, then children): unit s is segment s mod n of pass ⌊s / n⌋
    const segment = segments[state.segment % segments.length] as (typeof segments)[number];
    const pass = passes[Math.floor(state.segment / segments.length)];
    await streamRecords(sql, target, readArchivedLines(bucket, entity.object_key, [segment]), counts, { pass });
    return { segment: state.segment + 1, progress: null, counts };
  }
  const progress = await resolveNextBatch(
    sql,
    target,
    state.progress ? { ...state.progress, counts } : startProgress(counts),
  );
  return { segment: state.segment, progress, counts: progress.counts };
}

export function isLoadDone(state: LoadCheckpoint): boolean {
  return state.progress?.phase === 'done';
}

function rowsOf(counts: LoadCounts): number {
  return Object.values(counts.upserted).reduce((sum, n) => sum + n, 0);
}

export const loadStep: ProcedureStep = async ({ database, env, execution, log }) => {
  const parameters = loadParametersSchema.parse(execution.parameters);
  const { sql } = database;
  const entity = await findArchivedObject(sql, { id: parameters.information_bearing_entity_id });
  if (!entity) throw new Error(`information_bearing_entity ${parameters.information_bearing_entity_id} does not exist`);
  const target = loadTargetFor(execution.procedure_execution_id, entity);
  const saved = execution.checkpoint_state as Partial<LoadCheckpoint>;
  let state: LoadCheckpoint = saved.counts ? (saved as LoadCheckpoint) : initialLoadCheckpoint();
  const deadline = Date.now() + LOAD_STEP_BUDGET_MS;
  for (let units = 1; ; units++) {
    state = await runLoadUnit(sql, env.RAW_ARCHIVE, entity, target, state);
    const rowsProcessed = rowsOf(state.counts);
    if (isLoadDone(state)) {
      // the final counts stay on the execution for the report
      await checkpointExecution(sql, execution.procedure_execution_id, { checkpoint: { ...state }, rowsProcessed });
      log.info('load finished', { ...summarize(target, state.counts), object_key: entity.object_key });
      if (parameters.refresh_marts)
        await enqueueMartsRefresh(sql, env.INGEST_QUEUE, execution.procedure_execution_id, 'procedure:load');
      return { outcome: 'done', rowsProcessed };
    }
    if (units >= (parameters.units_per_step ?? Number.POSITIVE_INFINITY) || Date.now() >= deadline) {
      return { outcome: 'continue', checkpoint: { ...state }, rowsProcessed };
    }
    // a killed step resumes from here, not from the start of the step
    await checkpointExecution(sql, execution.procedure_execution_id, { checkpoint: { ...state }, rowsProcessed });
  }
};

/**
 * A touched-keys refresh of the marts (workers/shared/marts/marts.procedure.ts). No concurrency key:
 * touched refreshes take turns on a lock, and one that started before this load committed would
 * not see its keys.
 */
export async function enqueueMartsRefresh(
  sql: Sql,
  queue: Queue<IngestMessage>,
  parentId: string,
  source: string,
  options: { classify?: boolean } = {},
) {
  return enqueueExecution(sql, queue, {
    kind: 'marts',
    triggerSource: source,
    parameters: { mode: 'touched', ...(options.classify ? { classify: true } : {}) },
    parentId,
  });
}
