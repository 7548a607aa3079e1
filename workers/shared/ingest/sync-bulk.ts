/**
 * The `products` / `orders` sync (children of `full`, or started alone by staff): one bulk query,
 * phase by phase, each phase one function in PHASES; a step runs the phase its checkpoint names.
 *   start     run bulkOperationRunQuery for the updated_at window (cursor − overlap … now; no
 *             window in mode 'full'). The operation id is recorded before any polling, so a
 *             restarted step resumes it instead of starting a second one; OPERATION_IN_PROGRESS
 *             adopts a running operation with the same query, or waits for another one to end.
 *   poll      bulkOperation(id) until it ends (or the bulk_operations/finish webhook wakes it).
 *             FAILED with partialDataUrl: the partial data is loaded, then the window runs again;
 *             FAILED without, CANCELED, EXPIRED: the window runs again (at most MAX_BULK_RUNS).
 *   download  stream the result into the R2 archive (segmented gzip JSONL); a truncated download
 *             (last line unterminated, or fewer lines than objectCount) is fetched again; an
 *             expired URL (403) runs the window again.
 *   load      a `load` child loads the archived export; the step waits for it.
 *   refunds   (orders) refund lines of the window's refunded orders, by ordinary queries sized
 *             to each order's counts, chunk after chunk while a step's budget lasts, each chunk
 *             archived and loaded while the next is fetched (refunds-fetch.ts).
 *   done      the resource's cursor moves to the window's end, only now that its data loaded.
 */
import { checkpointExecution, findExecution } from '../procedures/execution.ts';
import { enqueueExecution, type StepContext, type StepResult } from '../procedures/runner.ts';
import {
  type BulkOperation,
  BulkOperationInProgressError,
  BulkOperationLimitReachedError,
  createShopifyClient,
  ordersBulkQuery,
  productsBulkQuery,
} from '../shopify/client.ts';
import { shopifyConfig } from '../shopify/config.ts';
import { archiveKey, recordArchivedObject } from './archive.ts';
import { type ArchiveWriteState, abandonArchiveWrite, startArchiveWrite } from './archive-writer.ts';
import { refundsStep } from './refunds-fetch.ts';
import { advanceCursor, incrementalWindow } from './sync-cursor.ts';
import { DownloadError, downloadStep } from './sync-download.ts';
import {
  delay,
  MAX_WAITS_FOR_OTHER_OPERATION,
  type ParsedSyncParameters,
  syncParametersSchema,
} from './sync-parameters.ts';

/** Bulk operations one resource sync may start for its window (first run + re-runs). */
export const MAX_BULK_RUNS = 4;
/** Failed download steps or truncated results per bulk operation result before the window runs again. */
export const MAX_DOWNLOADS = 3;

export type BulkResource = 'products' | 'orders';
export type BulkSyncPhase = 'start' | 'poll' | 'download' | 'load' | 'refunds' | 'done';

interface BulkSyncState {
  phase: BulkSyncPhase;
  window: { from: string | null; to: string };
  /** The bulk operation being followed; recorded before it is first polled. */
  operationId?: string;
  /** Bulk operations started for this window (re-runs after FAILED/EXPIRED/CANCELED/expired URL). */
  bulkRuns: number;
  downloads: number;
  polls: number;
  waits: number;
  /** Set while the operation being downloaded/loaded is a FAILED one's partial data. */
  partial: boolean;
  url?: string | null;
  objectCount?: number;
  loadExecutionId?: string;
  /** The download being archived in steps (archive-writer.ts): the multipart upload, offset and hash so far. */
  download?: ArchiveWriteState;
  archived: string[];
  refundsAfterOrderId?: string;
  rows: number;
  /** Why the window ran again, newest last (for the report). */
  reruns: string[];
}

/** One step of one resource's sync: what every phase function is given (the state it may change). */
interface BulkRun {
  resource: BulkResource;
  context: StepContext;
  parameters: ParsedSyncParameters;
  state: BulkSyncState;
  /** This execution's procedure_execution_id. */
  id: string;
}

type PhaseStep = (run: BulkRun) => Promise<StepResult>;

/** One step of a `products` or `orders` sync: the phase its checkpoint names. */
export async function bulkSyncStep(resource: BulkResource, context: StepContext): Promise<StepResult> {
  const { database, execution } = context;
  const parameters = syncParametersSchema.parse(execution.parameters);
  const saved = execution.checkpoint_state as Partial<BulkSyncState>;
  const state: BulkSyncState = saved.phase
    ? (saved as BulkSyncState)
    : {
        phase: 'start',
        window:
          (parameters.mode ?? 'incremental') === 'full'
            ? { from: null, to: new Date().toISOString() }
            : await incrementalWindow(database.sql, resource),
        bulkRuns: 0,
        downloads: 0,
        polls: 0,
        waits: 0,
        partial: false,
        archived: [],
        rows: 0,
        reruns: [],
      };
  const phase: PhaseStep | undefined = PHASES[state.phase];
  if (!phase) throw new Error(`unknown sync phase ${String(state.phase)}`);
  return phase({ resource, context, parameters, state, id: execution.procedure_execution_id });
}

/** start: run the window's bulk query (or adopt the same query already running), record its id. */
async function startOperation(run: BulkRun): Promise<StepResult> {
  const { resource, state, context } = run;
  const query = bulkQueryFor(resource, state.window);
  let operation: BulkOperation;
  try {
    operation = await createShopifyClient(shopifyConfig(context.env)).runBulkQuery(query);
  } catch (error) {
    if (error instanceof BulkOperationInProgressError) {
      const ours = error.running.find((op) => op.query.trim() === query.trim());
      if (!ours) {
        return waitForOther(run, `another bulk operation is running (${error.running.map((o) => o.id).join(', ')})`);
      }
      context.log.info('adopting the bulk operation already running for this query', { operation_id: ours.id });
      operation = ours;
    } else if (error instanceof BulkOperationLimitReachedError) {
      return waitForOther(run, 'bulk operation limit reached');
    } else {
      throw error;
    }
  }
  state.bulkRuns += 1;
  Object.assign(state, { phase: 'poll', operationId: operation.id, polls: 0, waits: 0 });
  // recorded before the first poll: a step killed from here on resumes this operation
  await checkpointExecution(context.database.sql, run.id, { checkpoint: { ...state } });
  context.log.info('bulk operation started', { resource, operation_id: operation.id, window: state.window });
  return next(run, delay(run.parameters));
}

/** poll: follow the operation until it ends; a completed one (or a failed one's partial data) is downloaded. */
async function pollOperation(run: BulkRun): Promise<StepResult> {
  const { state } = run;
  const operation = await createShopifyClient(shopifyConfig(run.context.env)).getBulkOperation(
    state.operationId as string,
  );
  state.polls += 1;
  if (!operation) return rerun(run, `bulk operation ${state.operationId} is unknown to Shopify`);
  switch (operation.status) {
    case 'CREATED':
    case 'RUNNING':
    case 'CANCELING':
      return next(run, delay(run.parameters, state.polls));
    case 'COMPLETED':
      Object.assign(state, { phase: 'download', url: operation.url, objectCount: operation.objectCount, downloads: 0 });
      return next(run);
    case 'FAILED':
      if (operation.partialDataUrl) {
        state.reruns.push(`FAILED ${operation.errorCode ?? ''} with partial data`.replace('  ', ' '));
        Object.assign(state, { phase: 'download', url: operation.partialDataUrl, partial: true, downloads: 0 });
        state.objectCount = undefined;
        return next(run);
      }
      return rerun(run, `bulk operation FAILED ${operation.errorCode ?? ''}`.trim());
    case 'CANCELED':
      return rerun(run, 'bulk operation was CANCELED');
    case 'EXPIRED':
      return rerun(run, 'bulk operation result EXPIRED');
    default:
      return rerun(run, `bulk operation in unexpected status ${operation.status}`);
  }
}

/** download: archive the result a bounded step at a time; a whole, untruncated export goes to a `load` child. */
async function downloadResult(run: BulkRun): Promise<StepResult> {
  const { resource, state, parameters, id } = run;
  const { database, env, log } = run.context;
  if (!state.url) {
    // a completed operation without a URL found nothing in the window
    return afterLoad(run);
  }
  const writing =
    state.download ??
    startArchiveWrite(archiveKey(resource, id, `bulk-${state.bulkRuns}${state.partial ? '-partial' : ''}`));
  const giveUp = async (why: string) => {
    await abandonArchiveWrite(env.RAW_ARCHIVE, writing).catch(() => {});
    state.download = undefined;
    return rerun(run, why);
  };
  let step: Awaited<ReturnType<typeof downloadStep>>;
  try {
    step = await downloadStep(env, state.url, writing, parameters);
  } catch (error) {
    if (!(error instanceof DownloadError)) throw error;
    state.downloads += 1;
    if (error.expired || state.downloads >= MAX_DOWNLOADS) return giveUp(error.message);
    // a step that died after completing the object, before its checkpoint: its upload is gone, start over
    if (writing.uploadId && (await env.RAW_ARCHIVE.head(writing.key))) state.download = undefined;
    log.warn('download failed; resuming from the last step', {
      resource,
      error: error.message,
      attempt: state.downloads,
      offset: writing.sourceOffset,
    });
    return next(run, delay(parameters));
  }
  if (!step.archived) {
    // a bounded step: the checkpoint holds the upload, the next message goes on from its offset
    state.download = step.state;
    return next(run);
  }
  state.download = undefined;
  const archived = step.archived;
  const truncated =
    !archived.endedWithNewline ||
    (!state.partial &&
      state.objectCount !== undefined &&
      state.objectCount > 0 &&
      archived.lineCount < state.objectCount);
  if (truncated) {
    const why = `truncated download: ${archived.lineCount} of ${state.objectCount ?? '?'} lines`;
    state.downloads += 1;
    if (state.downloads >= MAX_DOWNLOADS) return rerun(run, why);
    log.warn('download truncated; fetching again', {
      resource,
      lines: archived.lineCount,
      expected: state.objectCount,
    });
    return next(run);
  }
  const entity = await recordArchivedObject(database.sql, archived, { resource, procedureExecutionId: id });
  state.archived.push(entity.information_bearing_entity_id);
  const load = await enqueueExecution(database.sql, env.INGEST_QUEUE, {
    kind: 'load',
    triggerSource: `procedure:${resource}`,
    parentId: id,
    parameters: { information_bearing_entity_id: entity.information_bearing_entity_id },
  });
  Object.assign(state, { phase: 'load', loadExecutionId: load.procedure_execution_id });
  return next(run, 60);
}

/** load: wait for the `load` child; a partial export loaded runs the window again for the rest. */
async function waitForLoad(run: BulkRun): Promise<StepResult> {
  const { resource, state } = run;
  const load = state.loadExecutionId ? await findExecution(run.context.database.sql, state.loadExecutionId) : null;
  if (!load) throw new Error(`load execution ${state.loadExecutionId} is missing`);
  if (load.status === 'failed') throw new Error(`loading the ${resource} export failed: ${load.error_text}`);
  if (load.status !== 'succeeded') return next(run, 60);
  state.rows += load.rows_processed_count;
  if (state.partial) return rerun(run, 'partial data loaded; the window runs again for the rest');
  return afterLoad(run);
}

/** refunds (orders): one budgeted step of refunds-fetch.ts; the last one finishes the sync. */
async function fetchRefunds(run: BulkRun): Promise<StepResult> {
  const { state, context } = run;
  const step = await refundsStep({
    sql: context.database.sql,
    env: context.env,
    segmentBytes: run.parameters.segment_bytes,
    procedureExecutionId: run.id,
    window: state.window,
    afterOrderId: state.refundsAfterOrderId,
  });
  state.rows += step.rows;
  state.archived.push(...step.archived);
  state.refundsAfterOrderId = step.afterOrderId;
  if (step.done) return finish(run);
  return next(run);
}

/** done: the cursor already moved; a message delivered again finds nothing left to do. */
async function alreadyDone(run: BulkRun): Promise<StepResult> {
  return { outcome: 'done', rowsProcessed: run.state.rows };
}

const PHASES = {
  start: startOperation,
  poll: pollOperation,
  download: downloadResult,
  load: waitForLoad,
  refunds: fetchRefunds,
  done: alreadyDone,
} satisfies Record<BulkSyncPhase, PhaseStep>;

function bulkQueryFor(resource: BulkResource, window: BulkSyncState['window']): string {
  const range = { updatedAtMin: window.from ?? undefined, updatedAtMax: window.to };
  // a full sync takes everything there is: no upper bound either
  if (window.from === null) return resource === 'products' ? productsBulkQuery() : ordersBulkQuery();
  return resource === 'products' ? productsBulkQuery(range) : ordersBulkQuery(range);
}

/** Checkpoints the state and asks for the next step `after` seconds from now. */
function next(run: BulkRun, after = 0): StepResult {
  return { outcome: 'continue', checkpoint: { ...run.state }, rowsProcessed: run.state.rows, delaySeconds: after };
}

/** The window runs again from `start` (a new bulk operation), at most MAX_BULK_RUNS times. */
function rerun(run: BulkRun, why: string): StepResult {
  const { resource, state } = run;
  run.context.log.warn('bulk operation runs again', { resource, why, runs: state.bulkRuns });
  if (state.bulkRuns >= MAX_BULK_RUNS) {
    throw new Error(
      `${resource} sync gave up after ${state.bulkRuns} bulk operations: ${[...state.reruns, why].join('; ')}`,
    );
  }
  Object.assign(state, {
    phase: 'start',
    operationId: undefined,
    url: undefined,
    downloads: 0,
    polls: 0,
    partial: false,
  });
  state.reruns.push(why);
  return next(run, 0);
}

function waitForOther(run: BulkRun, why: string): StepResult {
  const { resource, state } = run;
  state.waits += 1;
  if (state.waits > MAX_WAITS_FOR_OTHER_OPERATION) throw new Error(`${resource} sync could not start: ${why}`);
  run.context.log.info('waiting to start the bulk operation', { resource, why, waits: state.waits });
  return next(run, Math.max(1, delay(run.parameters, state.waits)));
}

async function afterLoad(run: BulkRun): Promise<StepResult> {
  if (run.resource === 'orders') {
    run.state.phase = 'refunds';
    return next(run);
  }
  return finish(run);
}

async function finish(run: BulkRun): Promise<StepResult> {
  const { resource, state, context } = run;
  await advanceCursor(context.database.sql, resource, state.window.to, run.id);
  state.phase = 'done';
  await checkpointExecution(context.database.sql, run.id, { checkpoint: { ...state }, rowsProcessed: state.rows });
  context.log.info('sync finished; cursor moved', { resource, window_end: state.window.to, rows: state.rows });
  return { outcome: 'done', rowsProcessed: state.rows };
}
