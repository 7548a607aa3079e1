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
 * `products` / `orders` (children, or started alone by staff) run one bulk query, phase by phase:
 * start, poll, download, load, refunds (orders), done (sync-bulk.ts).
 */

import type { Sql } from '#shared/db/types.ts';
import { freshRead } from '../db/fresh.ts';
import type { Env } from '../env.ts';
import {
  checkpointExecution,
  ExecutionConflictError,
  findExecution,
  type ProcedureExecutionRow,
} from '../procedures/execution.ts';
import { enqueueExecution, type ProcedureStep, type StepContext, type StepResult } from '../procedures/runner.ts';
import { createShopifyClient, type ShopInfo, type ShopifyClient } from '../shopify/client.ts';
import { shopifyConfig } from '../shopify/config.ts';
import { archiveJsonl, archiveKey, recordArchivedObject } from './archive.ts';
import { bulkSyncStep } from './sync-bulk.ts';
import { advanceCursor, incrementalWindow } from './sync-cursor.ts';
import { delay, MAX_WAITS_FOR_OTHER_OPERATION, syncParametersSchema } from './sync-parameters.ts';

function clientFor(env: Env): ShopifyClient {
  return createShopifyClient(shopifyConfig(env));
}

async function childRow(sql: Sql, id: string | undefined): Promise<ProcedureExecutionRow | null> {
  return id ? findExecution(sql, id) : null;
}

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
        and ${freshRead(sql)}
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
          ...(parameters.segment_bytes === undefined ? {} : { segment_bytes: parameters.segment_bytes }),
          ...(parameters.download_step_bytes === undefined
            ? {}
            : { download_step_bytes: parameters.download_step_bytes }),
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

/** The sync steps, by kind, for the procedure registry (workers/shared/procedures/registry.ts). */
export const productsSyncStep: ProcedureStep = (context) => bulkSyncStep('products', context);
export const ordersSyncStep: ProcedureStep = (context) => bulkSyncStep('orders', context);
export { fullSyncStep };
