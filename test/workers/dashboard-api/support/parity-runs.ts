/** Parity runs as the tests need them: stored results seeded straight into the database. */

import type { Sql } from '#shared/db/types.ts';

/** Parity results as if a run of `hoursAgo` hours ago had stored them. */
export async function seedParityRun(
  sql: Sql,
  hoursAgo: number,
  verdict: 'pass' | 'fail' | 'error',
  failing: string[] = [],
  parameters: { from?: string; to?: string; tolerance?: number } = {},
): Promise<string> {
  const checks = ['dataset_row_count', 'top_products', 'tag_count'].map((name) => ({
    name,
    legacy_value: 1,
    new_value: 1,
    difference: 0,
    tolerance: parameters.tolerance ?? 0.01,
    verdict: failing.includes(name) ? 'fail' : 'pass',
    details: { summary: `${name} summary` },
  }));
  const [row] = await sql<{ id: string }[]>`
    with execution as (
      insert into procedure_execution
        (procedure_kind, status, trigger_source, parameters, requested_at, started_at, finished_at)
      values ('parity_check', 'succeeded', 'test', ${JSON.stringify(parameters)}::text::jsonb, now() - ${hoursAgo} * interval '1 hour',
              now() - ${hoursAgo} * interval '1 hour', now() - ${hoursAgo} * interval '1 hour' + interval '2 seconds')
      returning procedure_execution_id, started_at
    )
    insert into parity_check_execution
      (procedure_execution_id, verdict, window_from_date, window_to_date, check_results, started_at, finished_at)
    select procedure_execution_id, ${verdict}, '2026-10-01', '2026-10-30', ${JSON.stringify(checks)}::text::jsonb,
           started_at, started_at + interval '2 seconds'
    from execution
    returning procedure_execution_id as id`;
  return row?.id as string;
}
