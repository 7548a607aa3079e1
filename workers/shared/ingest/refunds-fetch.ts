/**
 * The refunds phase of an orders sync: the refund lines of the window's refunded orders, by
 * ordinary queries (a connection inside a list cannot be bulk-queried).
 *
 * The loaded orders export says which orders have refunds and how many, and how many line items
 * each has; the client sizes each order's `first:` to that and packs orders under Shopify's 1 000
 * requested points (shopify/refund-batches.ts), so the cost bucket, not the request count, sets
 * the pace. One step fetches chunk after chunk while its wall-time budget lasts; each chunk is
 * archived and loaded while the next one is fetched, so the bucket keeps draining during loads.
 * The cursor (the last order loaded) moves only once a chunk's rows are in.
 */

import type { Sql } from '#shared/db/types.ts';
import { freshRead } from '../db/fresh.ts';
import type { Env } from '../env.ts';
import { createShopifyClient, type RefundNode, type RefundOrder, type ShopifyClient } from '../shopify/client.ts';
import { shopifyConfig } from '../shopify/config.ts';
import { archiveJsonl, archiveKey, readArchivedLines, recordArchivedObject } from './archive.ts';
import { loadJsonlRecords } from './load.ts';

/** Refunded orders one step reads from the database at most. */
export const REFUND_ORDERS_PER_STEP = 5000;
/** Refunded orders per archived (and loaded) chunk: about 15 s of a 100 points/s bucket. */
export const REFUND_ORDERS_PER_CHUNK = 100;
/** Wall time a step starts new chunks in; bounded well inside the queue consumer's limits. */
export const REFUNDS_STEP_BUDGET_MS = 60_000;

export interface RefundsStepInput {
  sql: Sql;
  env: Env;
  procedureExecutionId: string;
  window: { from: string | null; to: string };
  /** The last order whose refunds are loaded (numeric id), undefined at the start. */
  afterOrderId: string | undefined;
  /** Defaults to REFUNDS_STEP_BUDGET_MS and REFUND_ORDERS_PER_CHUNK; tests shorten them. */
  budgetMs?: number;
  ordersPerChunk?: number;
  now?: () => number;
  /** Gzip member size of the archived refund pages (tests make it small: many members). */
  segmentBytes?: number;
}

export interface RefundsStepResult {
  afterOrderId: string | undefined;
  rows: number;
  /** information_bearing_entity ids of the chunks archived. */
  archived: string[];
  /** No refunded order of the window is left after afterOrderId. */
  done: boolean;
}

/** One client per isolate and shop: it remembers the cost bucket from one step to the next. */
let cachedClient: { key: string; client: ShopifyClient } | undefined;

function clientFor(env: Env): ShopifyClient {
  const config = shopifyConfig(env);
  const key = `${config.shopDomain}\n${config.adminApiUrl ?? ''}\n${config.accessToken}`;
  if (cachedClient?.key !== key) cachedClient = { key, client: createShopifyClient(config) };
  return cachedClient.client;
}

/** The window's refunded orders after `afterOrderId`, with their refund and line item counts. */
async function refundedOrdersAfter(
  sql: Sql,
  window: RefundsStepInput['window'],
  afterOrderId: string | undefined,
): Promise<(RefundOrder & { id: string })[]> {
  return sql<{ id: string; refunds: number; lines: number }[]>`
    select o.act_of_sale_id::text as id, count(*)::int as refunds,
           (select count(*) from act_of_sale_line l where l.act_of_sale_id = o.act_of_sale_id)::int as lines
    from act_of_refund r
    join act_of_sale o on o.act_of_sale_id = r.act_of_sale_id
    where r.act_of_sale_id > ${afterOrderId ?? '0'}::bigint and ${freshRead(sql)}
      and (${window.from}::timestamptz is null
           or (o.updated_at >= ${window.from}::timestamptz and o.updated_at < ${window.to}::timestamptz))
    group by o.act_of_sale_id
    order by o.act_of_sale_id
    limit ${REFUND_ORDERS_PER_STEP}`;
}

/** Archives one chunk's refunds and loads them; the rows upserted. */
async function archiveAndLoad(
  input: RefundsStepInput,
  refunds: RefundNode[],
  label: string,
): Promise<{ rows: number; entityId: string }> {
  const { sql, env, procedureExecutionId } = input;
  const encoder = new TextEncoder();
  const key = archiveKey('refunds', procedureExecutionId, label);
  const archived = await archiveJsonl(
    env.RAW_ARCHIVE,
    key,
    refunds.map((refund) => encoder.encode(`${JSON.stringify(refund)}\n`)),
    { segmentBytes: input.segmentBytes },
  );
  const entity = await recordArchivedObject(sql, archived, { resource: 'refunds', procedureExecutionId });
  // loaded from the archive, as every other load, under its own load key, segment by segment
  const records = readArchivedLines(env.RAW_ARCHIVE, key, archived.segments);
  const summary = await loadJsonlRecords(sql, 'refunds', records, {
    procedureExecutionId,
    informationBearingEntityId: entity.information_bearing_entity_id,
  });
  return { rows: summary.rowsUpserted, entityId: entity.information_bearing_entity_id };
}

/** Fetches, archives and loads refunds chunk by chunk until the budget or the orders run out. */
export async function refundsStep(input: RefundsStepInput): Promise<RefundsStepResult> {
  const now = input.now ?? Date.now;
  const started = now();
  const budgetMs = input.budgetMs ?? REFUNDS_STEP_BUDGET_MS;
  const perChunk = input.ordersPerChunk ?? REFUND_ORDERS_PER_CHUNK;
  const orders = await refundedOrdersAfter(input.sql, input.window, input.afterOrderId);
  const result: RefundsStepResult = { afterOrderId: input.afterOrderId, rows: 0, archived: [], done: false };
  if (orders.length === 0) return { ...result, done: true };

  const client = clientFor(input.env);
  // The previous chunk's archive and load, running while the next chunk is fetched.
  let loading: Promise<void> = Promise.resolve();
  let failure: unknown;
  let fetchedAll = true;
  for (let start = 0; start < orders.length; start += perChunk) {
    if (start > 0 && now() - started >= budgetMs) {
      fetchedAll = false;
      break;
    }
    const chunk = orders.slice(start, start + perChunk);
    let refunds: RefundNode[];
    try {
      refunds = await client.fetchRefunds(chunk);
    } finally {
      // the step ends only once the chunk being loaded is in (or has failed)
      await loading;
    }
    if (failure) throw failure;
    const lastId = chunk.at(-1)?.id as string;
    const label = `after-${orders[start - 1]?.id ?? input.afterOrderId ?? '0'}`;
    loading =
      refunds.length === 0
        ? Promise.resolve().then(() => {
            result.afterOrderId = lastId;
          })
        : archiveAndLoad(input, refunds, label).then(
            ({ rows, entityId }) => {
              result.rows += rows;
              result.archived.push(entityId);
              result.afterOrderId = lastId;
            },
            (error: unknown) => {
              failure = error;
            },
          );
  }
  await loading;
  if (failure) throw failure;
  result.done = fetchedAll && orders.length < REFUND_ORDERS_PER_STEP;
  return result;
}
