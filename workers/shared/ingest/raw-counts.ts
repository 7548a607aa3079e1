/**
 * Row counts of the raw tables and the mart: what a replay reports before and after, and what
 * `npm run ingest:fixture` prints. Runtime-neutral (Workers and Node CLIs).
 */

import type { Sql } from '#shared/db/types.ts';
import { FRESH_READ_CONDITION, freshRead } from '../db/fresh.ts';

/** Row counts of the raw tables (and the mart) a replay reports before and after. */
export type RawTableCounts = Record<string, number>;

// The query is built with sql.unsafe from these table names only (constants, never input).
const COUNTED_TABLES = [
  'material_artifact',
  'material_artifact_variant',
  'act_of_sale',
  'act_of_sale_line',
  'act_of_refund',
  'act_of_refund_line',
  'media_content_entity',
  'denotation_relation',
  'tag_content_entity',
  'performance_measurement_dataset',
] as const;

export async function rawTableCounts(sql: Sql): Promise<RawTableCounts> {
  const [row] = await sql.unsafe<Record<string, number>[]>(
    `select ${COUNTED_TABLES.map((t) => `(select count(*)::int from ${t}) as ${t}`).join(', ')} where ${FRESH_READ_CONDITION}`,
  );
  const counts: RawTableCounts = { ...row };
  const [{ n = 0 } = {}] = await sql<{ n: number }[]>`
    select count(*)::int as n from material_artifact where deleted_at is not null and ${freshRead(sql)}`;
  counts.material_artifact_deleted = n;
  return counts;
}
