/**
 * The curated tables a sync or a refresh writes (the marts, classifications and shop settings),
 * each row as text without the columns the database stamps (computed_at, updated_at), so a faulted
 * run can be compared row for row with a clean run of the same store.
 */
import type { Sql } from '#shared/db/types.ts';

const CURATED: Record<string, string> = {
  performance_measurement_dataset: 'select t::text as row from performance_measurement_dataset t',
  performance_measurement_daily_total: 'select t::text as row from performance_measurement_daily_total t',
  nominal_classification: `select concat_ws(' ', material_artifact_id, classification_code, is_manual, note_text) as row
                           from nominal_classification`,
  configuration_setting: `select concat_ws(' ', setting_key, setting_value::text) as row from configuration_setting
                          where setting_key in ('shop_timezone', 'currency')`,
};

export const CURATED_TABLES = Object.keys(CURATED);

/** Every curated table's rows (new side), by table. */
export async function curatedRows(sql: Sql): Promise<Record<string, string[]>> {
  const tables: Record<string, string[]> = {};
  for (const [table, query] of Object.entries(CURATED)) {
    tables[table] = (await sql.unsafe<{ row: string }[]>(query)).map((r) => r.row);
  }
  return tables;
}
