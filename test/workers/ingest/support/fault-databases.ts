/** The databases of the fault tests: the app side through a small pool, the legacy side, both emptied before each test. */

import type { Sql } from '#shared/db/types.ts';
import { openTestSql } from '../../support/test-sql.ts';
import { simulator } from './simulator.ts';

export function openFaultDatabases(): { sql: Sql; legacy: Sql } {
  return { sql: openTestSql('app', { max: 3 }), legacy: openTestSql('legacy') };
}

export async function closeFaultDatabases(sql: Sql, legacy: Sql): Promise<void> {
  await simulator.reset();
  await sql.end({ timeout: 5 });
  await legacy.end({ timeout: 5 });
}

/** Every row a sync, a load or a refresh writes, on both sides. */
export async function clearIngestState(sql: Sql, legacy: Sql): Promise<void> {
  await sql`truncate material_artifact, act_of_sale, media_content_entity, tag_designation, quarantined_line,
            ingest_staged_object, information_bearing_entity, procedure_execution, sync_cursor,
            performance_measurement_dataset, performance_measurement_daily_total,
            performance_measurement_refresh_key, performance_measurement_refresh_state cascade`;
  await sql`delete from configuration_setting where setting_key in ('shop_timezone', 'currency')`;
  await legacy`truncate products, orders, assets, tags, mart_performance_metrics cascade`;
}
