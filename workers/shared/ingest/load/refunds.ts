/** The refunds writer: refunds and their lines as they stream; one whose order or line is not loaded is quarantined. */

import type { Tx } from '#shared/db/types.ts';
import type { TouchedKeys } from '../../marts/performance-dataset.ts';
import { columnArrays, fieldsOf, lastOfEach, objectSource } from './rows.ts';
import {
  add,
  FOREIGN_KEY_VIOLATION,
  type LoadCounts,
  type LoadTarget,
  type ReadPass,
  type StagedRow,
} from './types.ts';

export async function writeRefunds(
  tx: Tx,
  target: LoadTarget,
  objects: StagedRow[],
  counts: LoadCounts,
  _pass: ReadPass,
  touch: TouchedKeys,
): Promise<void> {
  const orderIds = [...new Set(objects.map((o) => String(fieldsOf(o).orderId ?? '')))].filter(Boolean);
  await touch.orders(orderIds);
  const written = (await writeRefundsOfLoadedOrders(tx, objects)) ?? (await writeRefundsChecked(tx, target, objects));
  counts.quarantined += written.quarantined;
  add(counts, 'act_of_refund', written.refunds);
  add(counts, 'act_of_refund_line', written.lines);
  await touch.orders(orderIds);
  counts.touchedOrders += orderIds.length;
}

interface RefundsWritten {
  quarantined: number;
  refunds: number;
  lines: number;
}

/** Refunds and their lines without a lookup each; null when a foreign key refuses one (its order or line is not loaded). */
async function writeRefundsOfLoadedOrders(tx: Tx, objects: StagedRow[]): Promise<RefundsWritten | null> {
  try {
    return await tx.savepoint(async (sp) => {
      const refunds = lastOfEach(objects);
      const r = columnArrays(refunds, 3, (o) => {
        const f = fieldsOf(o);
        return [o.object_id, f.orderId, f.createdAt];
      });
      const refundLines = refunds.flatMap((o) =>
        (fieldsOf(o).lines as { id: string; lineItemId: string; quantity: number; subtotal: string }[]).map((l) => ({
          refundId: o.object_id,
          ...l,
        })),
      );
      const l = columnArrays(refundLines, 5, (x) => [x.id, x.refundId, x.lineItemId, x.quantity, x.subtotal]);
      const [written] = await sp<RefundsWritten[]>`
        with refunds as (
          insert into act_of_refund (act_of_refund_id, act_of_sale_id, created_at)
          select * from unnest(${r[0]}::text::bigint[], ${r[1]}::text::bigint[], ${r[2]}::text::timestamptz[])
          on conflict (act_of_refund_id) do update set
            act_of_sale_id = excluded.act_of_sale_id, created_at = excluded.created_at
          returning 1
        ), lines as (
          insert into act_of_refund_line
            (act_of_refund_line_id, act_of_refund_id, act_of_sale_line_id, quantity_count, subtotal_measurement_value)
          select distinct on (l.id) l.*
          from unnest(${l[0]}::text::bigint[], ${l[1]}::text::bigint[], ${l[2]}::text::bigint[],
                      ${l[3]}::text::integer[], ${l[4]}::text::numeric[]) as l(id, refund_id)
          order by l.id, l.refund_id desc
          on conflict (act_of_refund_line_id) do update set
            act_of_refund_id = excluded.act_of_refund_id, act_of_sale_line_id = excluded.act_of_sale_line_id,
            quantity_count = excluded.quantity_count, subtotal_measurement_value = excluded.subtotal_measurement_value
          returning 1
        )
        select 0 as quarantined, (select count(*) from refunds)::int as refunds, (select count(*) from lines)::int as lines`;
      return written ?? { quarantined: 0, refunds: 0, lines: 0 };
    });
  } catch (error) {
    if ((error as { code?: string }).code !== FOREIGN_KEY_VIOLATION) throw error;
    return null;
  }
}

async function writeRefundsChecked(tx: Tx, target: LoadTarget, objects: StagedRow[]): Promise<RefundsWritten> {
  // One statement: each refund checked once; one without its order or an order line (foreign keys,
  // like the legacy) is quarantined, the others written with their lines (checked at the statement's end).
  const [written] = await tx<RefundsWritten[]>`
    with refund as materialized (
      select p.id, p.line_number, p.payload,
             case
               when not exists (select 1 from act_of_sale o where o.act_of_sale_id = (p.payload ->> 'orderId')::bigint)
                 then format('order %s is not loaded', p.payload ->> 'orderId')
               else (select 'order lines ' || string_agg(l ->> 'lineItemId', ', ') || ' are not loaded'
                     from jsonb_array_elements(p.payload -> 'lines') l
                     where not exists (select 1 from act_of_sale_line x
                                       where x.act_of_sale_line_id = (l ->> 'lineItemId')::bigint))
             end as problem
      from (${objectSource(tx, objects)}) p
    ), quarantined as (
      insert into quarantined_line
        (load_key, procedure_execution_id, information_bearing_entity_id, resource_name, line_number, reason_text,
         line_excerpt)
      select ${target.loadKey}::uuid, ${target.procedureExecutionId ?? null}::uuid,
             ${target.informationBearingEntityId ?? null}::uuid, ${target.resource}, x.line_number, x.problem,
             left(x.payload::text, 200)
      from refund x where x.problem is not null
      on conflict (load_key, line_number) do nothing
      returning 1
    ), refunds as (
      insert into act_of_refund (act_of_refund_id, act_of_sale_id, created_at)
      select id, (payload ->> 'orderId')::bigint, (payload ->> 'createdAt')::timestamptz
      from refund x where problem is null
      on conflict (act_of_refund_id) do update set act_of_sale_id = excluded.act_of_sale_id, created_at = excluded.created_at
      returning 1
    ), lines as (
      insert into act_of_refund_line
        (act_of_refund_line_id, act_of_refund_id, act_of_sale_line_id, quantity_count, subtotal_measurement_value)
      select distinct on ((l ->> 'id')::bigint)
             (l ->> 'id')::bigint, x.id, (l ->> 'lineItemId')::bigint, (l ->> 'quantity')::integer,
             (l ->> 'subtotal')::numeric
      from refund x, jsonb_array_elements(x.payload -> 'lines') as l
      where x.problem is null
      order by (l ->> 'id')::bigint, x.id desc
      on conflict (act_of_refund_line_id) do update set
        act_of_refund_id = excluded.act_of_refund_id, act_of_sale_line_id = excluded.act_of_sale_line_id,
        quantity_count = excluded.quantity_count, subtotal_measurement_value = excluded.subtotal_measurement_value
      returning 1
    )
    select (select count(*) from quarantined)::int as quarantined, (select count(*) from refunds)::int as refunds,
           (select count(*) from lines)::int as lines`;
  return written ?? { quarantined: 0, refunds: 0, lines: 0 };
}
