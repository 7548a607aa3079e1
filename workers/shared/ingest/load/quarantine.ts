/** Lines that cannot be loaded go to quarantined_line with their line number and reason: bad lines, orphans. */

import type { Sql, Tx } from '#shared/db/types.ts';
import { RESOURCE_OBJECTS } from '../shopify-objects.ts';
import type { LoadTarget, QuarantineRow, StagedFamily } from './types.ts';

export async function insertQuarantine(sql: Sql | Tx, target: LoadTarget, rows: QuarantineRow[]): Promise<number> {
  const result = await sql`
    insert into quarantined_line
      (load_key, procedure_execution_id, information_bearing_entity_id, resource_name, line_number,
       reason_text, line_excerpt)
    select ${target.loadKey}::uuid, ${target.procedureExecutionId ?? null}::uuid,
           ${target.informationBearingEntityId ?? null}::uuid, ${target.resource}, x.line_number, x.reason, x.excerpt
    from jsonb_to_recordset(${JSON.stringify(rows)}::text::jsonb) as x(line_number bigint, reason text, excerpt text)
    on conflict (load_key, line_number) do nothing`;
  return result.count;
}

export const ORDER_ORPHAN_REASON = 'is not loaded (not in this file, or its line was quarantined)';

/** CTE of upsertOrderLines: lines whose order is missing once every order has been read are quarantined. */
export function quarantineOrphanLines(tx: Tx, target: LoadTarget) {
  return tx`missing as (
      insert into quarantined_line
        (load_key, procedure_execution_id, information_bearing_entity_id, resource_name, line_number, reason_text,
         line_excerpt)
      select ${target.loadKey}::uuid, ${target.procedureExecutionId ?? null}::uuid,
             ${target.informationBearingEntityId ?? null}::uuid, ${target.resource}, li.line_number,
             format('LineItem %s: its parent Order %s %s', li.id, li.parent_id, ${ORDER_ORPHAN_REASON}::text),
             left(li.payload::text, 200)
      from loaded li
      where not li.order_loaded
      on conflict (load_key, line_number) do nothing
      returning 1
    )`;
}

/** Staged children in the line window whose parent is not there (see StagedFamily.parentPresent). */
export async function quarantineOrphans(
  sql: Sql,
  target: LoadTarget,
  family: StagedFamily,
  from: number,
  to: number,
): Promise<number> {
  const parentType = RESOURCE_OBJECTS[target.resource].parent;
  const result = await sql`
    insert into quarantined_line
      (load_key, procedure_execution_id, information_bearing_entity_id, resource_name, line_number, reason_text,
       line_excerpt)
    select c.load_key, ${target.procedureExecutionId ?? null}::uuid, ${target.informationBearingEntityId ?? null}::uuid,
           c.resource_name, c.line_number,
           format('%s %s: its parent %s %s %s', c.object_type, c.object_id, ${parentType}::text, c.parent_object_id,
                  ${family.orphanReason}::text),
           left(c.payload::text, 200)
    from ingest_staged_object c
    where c.load_key = ${target.loadKey} and c.line_number > ${from} and c.line_number <= ${to}
      and c.parent_object_id is not null
      and not ${family.parentPresent(sql)}
    on conflict (load_key, line_number) do nothing`;
  return result.count;
}
