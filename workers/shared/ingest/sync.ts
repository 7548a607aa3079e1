/**
 * Shopify sync ProcedureExecutions: recorded state machines, one step per queue message, each
 * step's state in procedure_execution.checkpoint_state.
 *
 * `full` (the parent; cron every 15 min with {mode: 'incremental'}, nightly and by staff with
 * {mode: 'full'}) runs, one after the other, a `products` child, an `orders` child, the product
 * deletions (a `load` child of a deletions export), and a touched-keys `marts` refresh; it waits
 * for each child (a finishing child wakes it; a slow poll is the fallback) and fails with the
 * cause of a child that failed.
 *
 * `products` / `orders` (children, or started alone by staff) run one bulk query:
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
 *   refunds   (orders) refund lines of the window's refunded orders, by ordinary queries, a page
 *             of orders per step, each page archived and loaded.
 *   done      the resource's cursor moves to the window's end, only now that its data loaded.
 */
import { z } from 'zod';
import type { Sql } from '../db/client.ts';
import { type Env, shopifyConfig } from '../env.ts';
import {
  checkpointExecution,
  ExecutionConflictError,
  findExecution,
  type ProcedureExecutionRow,
} from '../procedures/execution.ts';
import { enqueueExecution, registerProcedure, type StepContext, type StepResult } from '../procedures/runner.ts';
import {
  type BulkOperation,
  BulkOperationInProgressError,
  BulkOperationLimitReachedError,
  createShopifyClient,
  ordersBulkQuery,
  productsBulkQuery,
  type ShopInfo,
  type ShopifyClient,
} from '../shopify/client.ts';
import { type ArchivedObject, archiveJsonl, archiveKey, recordArchivedObject } from './archive.ts';
import { readJsonlLines } from './jsonl-reader.ts';
import { loadJsonlRecords } from './load.ts';
import { advanceCursor, incrementalWindow } from './sync-cursor.ts';

/** Bulk operations one resource sync may start for its window (first run + re-runs). */
export const MAX_BULK_RUNS = 4;
/** Download attempts per bulk operation result before the window runs again. */
export const MAX_DOWNLOADS = 3;
/** Refunded orders whose refunds one step fetches: about a dozen shaped requests, some two minutes of a 100 points/s bucket. */
export const REFUND_ORDERS_PER_STEP = 1000;
/** How long a step waits for another bulk operation to end before it gives up. */
const MAX_WAITS_FOR_OTHER_OPERATION = 90;

const pollSeconds = z.number().int().min(0).max(600).optional();

export const syncParametersSchema = z.object({
  mode: z.enum(['incremental', 'full']).optional(),
  /** Seconds between polls of a running bulk operation (default 10; tests use 1). */
  poll_seconds: pollSeconds,
});
export type SyncParameters = z.input<typeof syncParametersSchema>;

type BulkResource = 'products' | 'orders';

interface BulkSyncState {
  phase: 'start' | 'poll' | 'download' | 'load' | 'refunds' | 'done';
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
  archived: string[];
  refundsAfterOrderId?: string;
  rows: number;
  /** Why the window ran again, newest last (for the report). */
  reruns: string[];
}

function clientFor(env: Env): ShopifyClient {
  return createShopifyClient(shopifyConfig(env));
}

function delay(parameters: { poll_seconds?: number }, polls = 0): number {
  const base = parameters.poll_seconds ?? 10;
  return Math.min(60, base * 2 ** Math.min(3, Math.floor(polls / 10)));
}

function bulkQueryFor(resource: BulkResource, window: BulkSyncState['window']): string {
  const range = { updatedAtMin: window.from ?? undefined, updatedAtMax: window.to };
  // a full sync takes everything there is: no upper bound either
  if (window.from === null) return resource === 'products' ? productsBulkQuery() : ordersBulkQuery();
  return resource === 'products' ? productsBulkQuery(range) : ordersBulkQuery(range);
}

async function childRow(sql: Sql, id: string | undefined): Promise<ProcedureExecutionRow | null> {
  return id ? findExecution(sql, id) : null;
}

/** Streams a URL (a bulk result) into the archive; throws a DownloadError the step can act on. */
class DownloadError extends Error {
  override name = 'DownloadError';
  constructor(
    message: string,
    readonly expired: boolean,
  ) {
    super(message);
  }
}

async function downloadToArchive(env: Env, url: string, key: string): Promise<ArchivedObject> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new DownloadError(`the download failed: ${error instanceof Error ? error.message : String(error)}`, false);
  }
  if (response.status === 403 || response.status === 404 || response.status === 410) {
    await response.body?.cancel();
    throw new DownloadError(`the result URL answered ${response.status} (expired)`, true);
  }
  if (!response.ok || !response.body) {
    await response.body?.cancel();
    throw new DownloadError(`the result URL answered ${response.status}`, false);
  }
  try {
    return await archiveJsonl(env.RAW_ARCHIVE, key, response.body);
  } catch (error) {
    throw new DownloadError(`the download broke off: ${error instanceof Error ? error.message : String(error)}`, false);
  }
}

async function bulkSyncStep(resource: BulkResource, context: StepContext): Promise<StepResult> {
  const { database, env, execution, log } = context;
  const { sql } = database;
  const parameters = syncParametersSchema.parse(execution.parameters);
  const id = execution.procedure_execution_id;
  const saved = execution.checkpoint_state as Partial<BulkSyncState>;
  const state: BulkSyncState = saved.phase
    ? (saved as BulkSyncState)
    : {
        phase: 'start',
        window:
          (parameters.mode ?? 'incremental') === 'full'
            ? { from: null, to: new Date().toISOString() }
            : await incrementalWindow(sql, resource),
        bulkRuns: 0,
        downloads: 0,
        polls: 0,
        waits: 0,
        partial: false,
        archived: [],
        rows: 0,
        reruns: [],
      };
  const next = (after = 0): StepResult => ({
    outcome: 'continue',
    checkpoint: { ...state },
    rowsProcessed: state.rows,
    delaySeconds: after,
  });
  const rerun = (why: string): StepResult => {
    log.warn('bulk operation runs again', { resource, why, runs: state.bulkRuns });
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
    return next(0);
  };

  switch (state.phase) {
    case 'start': {
      const client = clientFor(env);
      const query = bulkQueryFor(resource, state.window);
      let operation: BulkOperation;
      try {
        operation = await client.runBulkQuery(query);
      } catch (error) {
        if (error instanceof BulkOperationInProgressError) {
          const ours = error.running.find((op) => op.query.trim() === query.trim());
          if (ours) {
            log.info('adopting the bulk operation already running for this query', { operation_id: ours.id });
            operation = ours;
          } else {
            return waitForOther(
              state,
              `another bulk operation is running (${error.running.map((o) => o.id).join(', ')})`,
            );
          }
        } else if (error instanceof BulkOperationLimitReachedError) {
          return waitForOther(state, 'bulk operation limit reached');
        } else {
          throw error;
        }
      }
      state.bulkRuns += 1;
      Object.assign(state, { phase: 'poll', operationId: operation.id, polls: 0, waits: 0 });
      // recorded before the first poll: a step killed from here on resumes this operation
      await checkpointExecution(sql, id, { checkpoint: { ...state } });
      log.info('bulk operation started', { resource, operation_id: operation.id, window: state.window });
      return next(delay(parameters));
    }
    case 'poll': {
      const operation = await clientFor(env).getBulkOperation(state.operationId as string);
      state.polls += 1;
      if (!operation) return rerun(`bulk operation ${state.operationId} is unknown to Shopify`);
      switch (operation.status) {
        case 'CREATED':
        case 'RUNNING':
        case 'CANCELING':
          return next(delay(parameters, state.polls));
        case 'COMPLETED':
          Object.assign(state, {
            phase: 'download',
            url: operation.url,
            objectCount: operation.objectCount,
            downloads: 0,
          });
          return next(0);
        case 'FAILED':
          if (operation.partialDataUrl) {
            state.reruns.push(`FAILED ${operation.errorCode ?? ''} with partial data`.replace('  ', ' '));
            Object.assign(state, { phase: 'download', url: operation.partialDataUrl, partial: true, downloads: 0 });
            state.objectCount = undefined;
            return next(0);
          }
          return rerun(`bulk operation FAILED ${operation.errorCode ?? ''}`.trim());
        case 'CANCELED':
          return rerun('bulk operation was CANCELED');
        case 'EXPIRED':
          return rerun('bulk operation result EXPIRED');
        default:
          return rerun(`bulk operation in unexpected status ${operation.status}`);
      }
    }
    case 'download': {
      if (!state.url) {
        // a completed operation without a URL found nothing in the window
        return afterLoad(state, resource, context, next);
      }
      state.downloads += 1;
      const key = archiveKey(resource, id, `bulk-${state.bulkRuns}${state.partial ? '-partial' : ''}`);
      let archived: ArchivedObject;
      try {
        archived = await downloadToArchive(env, state.url, key);
      } catch (error) {
        if (!(error instanceof DownloadError)) throw error;
        if (error.expired || state.downloads >= MAX_DOWNLOADS) return rerun(error.message);
        log.warn('download failed; fetching again', { resource, error: error.message, attempt: state.downloads });
        return next(delay(parameters));
      }
      const truncated =
        !archived.endedWithNewline ||
        (!state.partial &&
          state.objectCount !== undefined &&
          state.objectCount > 0 &&
          archived.lineCount < state.objectCount);
      if (truncated) {
        const why = `truncated download: ${archived.lineCount} of ${state.objectCount ?? '?'} lines`;
        if (state.downloads >= MAX_DOWNLOADS) return rerun(why);
        log.warn('download truncated; fetching again', {
          resource,
          lines: archived.lineCount,
          expected: state.objectCount,
        });
        return next(0);
      }
      const entity = await recordArchivedObject(sql, archived, { resource, procedureExecutionId: id });
      state.archived.push(entity.information_bearing_entity_id);
      const load = await enqueueExecution(sql, env.INGEST_QUEUE, {
        kind: 'load',
        triggerSource: `procedure:${resource}`,
        parentId: id,
        parameters: { information_bearing_entity_id: entity.information_bearing_entity_id },
      });
      Object.assign(state, { phase: 'load', loadExecutionId: load.procedure_execution_id });
      return next(60);
    }
    case 'load': {
      const load = await childRow(sql, state.loadExecutionId);
      if (!load) throw new Error(`load execution ${state.loadExecutionId} is missing`);
      if (load.status === 'failed') throw new Error(`loading the ${resource} export failed: ${load.error_text}`);
      if (load.status !== 'succeeded') return next(60);
      state.rows += load.rows_processed_count;
      if (state.partial) return rerun('partial data loaded; the window runs again for the rest');
      return afterLoad(state, resource, context, next);
    }
    case 'refunds': {
      // What the orders export says of each refunded order (its refunds, its lines) shapes the
      // cost the refund queries request (workers/shared/shopify/refunds.ts).
      const orders = await sql<{ id: string; refunds: number; lines: number }[]>`
        select r.act_of_sale_id::text as id, count(*)::int as refunds,
               (select count(*) from act_of_sale_line l where l.act_of_sale_id = r.act_of_sale_id)::int as lines
        from act_of_refund r
        join act_of_sale o on o.act_of_sale_id = r.act_of_sale_id
        where r.act_of_sale_id > ${state.refundsAfterOrderId ?? '0'}::bigint
          and (${state.window.from}::timestamptz is null
               or (o.updated_at >= ${state.window.from}::timestamptz and o.updated_at < ${state.window.to}::timestamptz))
        group by r.act_of_sale_id
        order by r.act_of_sale_id
        limit ${REFUND_ORDERS_PER_STEP}`;
      const orderIds = orders.map((order) => order.id);
      if (orderIds.length === 0) return finish(state, resource, context);
      const refunds = await clientFor(env).fetchRefunds(orders);
      const lines = refunds.map((refund) => new TextEncoder().encode(`${JSON.stringify(refund)}\n`));
      const key = archiveKey('refunds', id, `after-${state.refundsAfterOrderId ?? '0'}`);
      const archived = await archiveJsonl(env.RAW_ARCHIVE, key, lines);
      const entity = await recordArchivedObject(sql, archived, { resource: 'refunds', procedureExecutionId: id });
      state.archived.push(entity.information_bearing_entity_id);
      // small (a page of orders): loaded right here, under its own load key
      const stream = (await env.RAW_ARCHIVE.get(key))?.body.pipeThrough(new DecompressionStream('gzip'));
      if (!stream) throw new Error(`archived refunds ${key} vanished`);
      const summary = await loadJsonlRecords(sql, 'refunds', readJsonlLines(stream), {
        procedureExecutionId: id,
        informationBearingEntityId: entity.information_bearing_entity_id,
      });
      state.rows += summary.rowsUpserted;
      state.refundsAfterOrderId = orderIds.at(-1);
      return next(0);
    }
    case 'done':
      return { outcome: 'done', rowsProcessed: state.rows };
  }

  function waitForOther(s: BulkSyncState, why: string): StepResult {
    s.waits += 1;
    if (s.waits > MAX_WAITS_FOR_OTHER_OPERATION) throw new Error(`${resource} sync could not start: ${why}`);
    log.info('waiting to start the bulk operation', { resource, why, waits: s.waits });
    return next(Math.max(1, delay(parameters, s.waits)));
  }
}

async function afterLoad(
  state: BulkSyncState,
  resource: BulkResource,
  context: StepContext,
  next: () => StepResult,
): Promise<StepResult> {
  if (resource === 'orders') {
    state.phase = 'refunds';
    return next();
  }
  return finish(state, resource, context);
}

async function finish(state: BulkSyncState, resource: BulkResource, context: StepContext): Promise<StepResult> {
  const { database, execution, log } = context;
  await advanceCursor(database.sql, resource, state.window.to, execution.procedure_execution_id);
  state.phase = 'done';
  await checkpointExecution(database.sql, execution.procedure_execution_id, {
    checkpoint: { ...state },
    rowsProcessed: state.rows,
  });
  log.info('sync finished; cursor moved', { resource, window_end: state.window.to, rows: state.rows });
  return { outcome: 'done', rowsProcessed: state.rows };
}

// ---------------------------------------------------------------------------------- full

interface FullSyncState {
  phase: 'products' | 'orders' | 'deletions' | 'marts' | 'done';
  child?: string;
  /** deletions: the events window and its archived export */
  deletionsWindow?: { from: string | null; to: string };
  rows: number;
  children: Record<string, string>;
  waits: number;
}

const FULL_PHASES: FullSyncState['phase'][] = ['products', 'orders', 'deletions', 'marts', 'done'];

async function fullSyncStep(context: StepContext): Promise<StepResult> {
  const { database, env, execution, log } = context;
  const { sql } = database;
  const parameters = syncParametersSchema.parse(execution.parameters);
  const mode = parameters.mode ?? 'full';
  const id = execution.procedure_execution_id;
  const saved = execution.checkpoint_state as Partial<FullSyncState>;
  let state: FullSyncState;
  if (saved.phase) {
    state = saved as FullSyncState;
  } else {
    state = { phase: 'products', rows: 0, children: {}, waits: 0 };
    await recordShopSettings(sql, await clientFor(env).fetchShop());
  }
  const next = (after: number): StepResult => ({
    outcome: 'continue',
    checkpoint: { ...state },
    rowsProcessed: state.rows,
    delaySeconds: after,
  });
  const advance = () => {
    state.phase = FULL_PHASES[FULL_PHASES.indexOf(state.phase) + 1] ?? 'done';
    state.child = undefined;
    state.waits = 0;
  };

  if (state.phase === 'done') return { outcome: 'done', rowsProcessed: state.rows };

  // Waiting for the current phase's child?
  if (state.child) {
    const child = await childRow(sql, state.child);
    if (!child) throw new Error(`child execution ${state.child} is missing`);
    if (child.status === 'failed') throw new Error(`${state.phase} failed: ${child.error_text ?? 'no cause recorded'}`);
    if (child.status !== 'succeeded') return next(60);
    if (state.phase !== 'marts') state.rows += child.rows_processed_count;
    if (state.phase === 'deletions' && state.deletionsWindow) {
      await advanceCursor(sql, 'deletions', state.deletionsWindow.to, id);
    }
    advance();
    if ((state.phase as FullSyncState['phase']) === 'done') {
      log.info('sync finished', { mode, rows: state.rows, children: state.children });
      await checkpointExecution(sql, id, { checkpoint: { ...state }, rowsProcessed: state.rows });
      return { outcome: 'done', rowsProcessed: state.rows };
    }
  }

  const startChild = async (input: Parameters<typeof enqueueExecution>[2]) => {
    // A step killed after it enqueued its child (before its checkpoint) finds that child again.
    const [earlier] = await sql<{ id: string }[]>`
      select procedure_execution_id as id from procedure_execution
      where parent_procedure_execution_id = ${id} and procedure_kind = ${input.kind} and status <> 'failed'
        and requested_at >= ${execution.started_at ?? execution.requested_at}::timestamptz
      order by requested_at desc limit 1`;
    if (earlier && !Object.values(state.children).includes(earlier.id)) {
      state.child = earlier.id;
      state.children[state.phase] = earlier.id;
      return next(60);
    }
    try {
      const child = await enqueueExecution(sql, env.INGEST_QUEUE, { ...input, parentId: id });
      state.child = child.procedure_execution_id;
      state.children[state.phase] = child.procedure_execution_id;
      return next(60);
    } catch (error) {
      if (!(error instanceof ExecutionConflictError)) throw error;
      state.waits += 1;
      if (state.waits > MAX_WAITS_FOR_OTHER_OPERATION)
        throw new Error(`${state.phase} could not start: ${error.message}`);
      return next(Math.max(1, delay(parameters, state.waits)));
    }
  };

  switch (state.phase) {
    case 'products':
    case 'orders':
      return startChild({
        kind: state.phase,
        triggerSource: 'procedure:full',
        parameters: {
          mode,
          ...(parameters.poll_seconds === undefined ? {} : { poll_seconds: parameters.poll_seconds }),
        },
        concurrencyKey: state.phase,
      });
    case 'deletions': {
      const window =
        mode === 'full' ? { from: null, to: new Date().toISOString() } : await incrementalWindow(sql, 'deletions');
      state.deletionsWindow = window;
      const deletions = await clientFor(env).fetchProductDeletions(window.from ?? '1970-01-01T00:00:00Z');
      const lines = deletions.map((d) =>
        new TextEncoder().encode(
          `${JSON.stringify({ subjectType: 'PRODUCT', subjectId: d.productId, action: 'destroy', createdAt: d.deletedAt })}\n`,
        ),
      );
      if (lines.length === 0) {
        await advanceCursor(sql, 'deletions', window.to, id);
        advance();
        return next(0);
      }
      const archived = await archiveJsonl(env.RAW_ARCHIVE, archiveKey('deletions', id, 'events'), lines);
      const entity = await recordArchivedObject(sql, archived, { resource: 'deletions', procedureExecutionId: id });
      return startChild({
        kind: 'load',
        triggerSource: 'procedure:full',
        parameters: { information_bearing_entity_id: entity.information_bearing_entity_id },
      });
    }
    case 'marts':
      return startChild({
        kind: 'marts',
        triggerSource: 'procedure:full',
        parameters: { mode: 'touched', ...(mode === 'full' ? { classify: true } : {}) },
      });
  }
  throw new Error(`unknown sync phase ${String(state.phase)}`);
}

/**
 * The shop's own settings from Shopify (`shop { … ianaTimezone currencyCode }`): the timezone
 * decides the shop-local day of every sale, as the legacy shop_timezone() setting did.
 */
async function recordShopSettings(sql: Sql, shop: ShopInfo): Promise<void> {
  const settings = { shop_domain: shop.myshopifyDomain, shop_timezone: shop.ianaTimezone, currency: shop.currencyCode };
  await sql`
    insert into configuration_setting (setting_key, setting_value, updated_at)
    select key, to_jsonb(value), now()
    from jsonb_each_text(${JSON.stringify(settings)}::text::jsonb) as s(key, value)
    where value is not null and value <> ''
    on conflict (setting_key) do update set setting_value = excluded.setting_value, updated_at = now()
    where configuration_setting.setting_value is distinct from excluded.setting_value`;
}

registerProcedure('products', (context) => bulkSyncStep('products', context));
registerProcedure('orders', (context) => bulkSyncStep('orders', context));
registerProcedure('full', fullSyncStep);
