/** The resolve half, once a file has been read: staged families in batches, then orphans, then cleanup. */

import type { Sql, Tx } from '#shared/db/types.ts';
import { freshRead } from '../../db/fresh.ts';
import { touchedKeysFor } from '../../marts/performance-dataset.ts';
import type { ResourceName } from '../shopify-objects.ts';
import { resolveWaitingOrderLines } from './orders.ts';
import { resolveProducts } from './products.ts';
import { ORDER_ORPHAN_REASON, quarantineOrphans } from './quarantine.ts';
import {
  type IdRange,
  LINE_WINDOW,
  type LoadCounts,
  type LoadProgress,
  type LoadTarget,
  RESOLVE_BATCH_PARENTS,
  type StagedFamily,
  startProgress,
} from './types.ts';

const STAGED_FAMILIES: Partial<Record<ResourceName, StagedFamily>> = {
  products: {
    rangeType: 'Product',
    rangeColumn: 'object_id',
    resolve: resolveProducts,
    parentPresent: (sql) => sql`exists (select 1 from ingest_staged_object p
                                        where p.load_key = c.load_key and p.object_type = 'Product'
                                          and p.object_id = c.parent_object_id)`,
    orphanReason: 'is not in this file (or its line was quarantined)',
  },
  orders: {
    rangeType: 'LineItem',
    rangeColumn: 'parent_object_id',
    resolve: resolveWaitingOrderLines,
    parentPresent: (sql) => sql`exists (select 1 from act_of_sale p where p.act_of_sale_id = c.parent_object_id)`,
    orphanReason: ORDER_ORPHAN_REASON,
  },
};

/**
 * Does the next bounded unit of the resolve half: one batch of staged families (one transaction),
 * one line window of the orphan check or of the cleanup. Call until the phase is 'done'. A
 * resource that stages nothing (refunds, deletions) is done at once.
 */
export async function resolveNextBatch(
  sql: Sql,
  target: LoadTarget,
  progress: LoadProgress,
  options: { batchParents?: number; lineWindow?: number } = {},
): Promise<LoadProgress> {
  const counts = progress.counts;
  const family = STAGED_FAMILIES[target.resource];
  if (!family) return { ...progress, phase: 'done' };
  if (progress.phase === 'resolve') {
    if (progress.afterObjectId === null) {
      // Fresh statistics for the rows just staged: without them the planner joins children to
      // parents by scanning the whole staging table per row.
      await sql`analyze ingest_staged_object`;
    }
    await analyzeGrownTables(sql, target.resource);
    const [batch] = await sql<{ upto: string | null }[]>`
      select max(id)::text as upto from (
        select distinct ${sql(family.rangeColumn)} as id from ingest_staged_object
        where load_key = ${target.loadKey} and object_type = ${family.rangeType}
          and ${sql(family.rangeColumn)} > ${progress.afterObjectId ?? '-1'}::bigint and ${freshRead(sql)}
        order by 1
        limit ${options.batchParents ?? RESOLVE_BATCH_PARENTS}) b`;
    if (!batch?.upto) return { ...progress, phase: 'orphans', afterLineNumber: 0 };
    const range: IdRange = { loadKey: target.loadKey, after: progress.afterObjectId ?? '-1', upto: batch.upto };
    await sql.begin(async (tx) => family.resolve(tx, target, range, counts, await touchedKeysFor(tx)));
    return { ...progress, afterObjectId: batch.upto };
  }
  if (progress.phase === 'orphans' || progress.phase === 'cleanup') {
    const [bounds] = await sql<{ last: number | null }[]>`
      select max(line_number)::float8 as last from ingest_staged_object
      where load_key = ${target.loadKey} and ${freshRead(sql)}`;
    const last = bounds?.last ?? 0;
    const from = progress.afterLineNumber;
    if (from >= last) {
      return progress.phase === 'orphans'
        ? { ...progress, phase: 'cleanup', afterLineNumber: 0 }
        : { ...progress, phase: 'done' };
    }
    const to = from + (options.lineWindow ?? LINE_WINDOW);
    if (progress.phase === 'orphans') counts.quarantined += await quarantineOrphans(sql, target, family, from, to);
    else
      await sql`
      delete from ingest_staged_object
      where load_key = ${target.loadKey} and line_number > ${from} and line_number <= ${to}`;
    return { ...progress, afterLineNumber: to };
  }
  return progress;
}

/** The raw tables a resource's writes and resolve batches write and join (recordTouchedOrders included). */
const RESOLVED_TABLES: Record<ResourceName, string[]> = {
  products: [
    'material_artifact',
    'material_artifact_variant',
    'media_content_entity',
    'denotation_relation',
    'tag_content_entity',
  ],
  orders: ['act_of_sale', 'act_of_sale_line', 'act_of_refund', 'act_of_refund_line'],
  refunds: ['act_of_sale', 'act_of_sale_line', 'act_of_refund', 'act_of_refund_line'],
  deletions: ['material_artifact'],
};

/**
 * Analyzes those of the resource's tables that changed by more rows than they held when last
 * analyzed (at least 10 000): about log2(n) times during a first load of n rows, never on a
 * routine one. Autovacuum analyzes at most once a minute; until then a table loaded from empty has
 * no statistics, the planner assumes 200 lines per order, and every batch's recordTouchedOrders
 * scanned all lines (18 s of a 200k-order first load).
 */
export async function analyzeGrownTables(sql: Sql | Tx, resource: ResourceName): Promise<void> {
  const grown = await sql<{ name: string }[]>`
    select s.relname as name
    from pg_stat_user_tables s
    join pg_class c on c.oid = s.relid
    where s.schemaname = 'public' and s.relname in ${sql(RESOLVED_TABLES[resource])}
      and s.n_mod_since_analyze > greatest(10000, c.reltuples) and ${freshRead(sql)}`;
  // sql.unsafe: ANALYZE takes no parameters; the names are RESOLVED_TABLES (code) as the catalog spells them
  for (const { name } of grown) await sql.unsafe(`analyze "${name}"`);
}

/** Resolves everything staged under `target` (all batches, orphans, cleanup). */
export async function resolveAll(sql: Sql, target: LoadTarget, counts: LoadCounts): Promise<LoadProgress> {
  let progress = startProgress(counts);
  while (progress.phase !== 'done') progress = await resolveNextBatch(sql, target, progress);
  return progress;
}
