/**
 * The audit trail: every staff or admin write records a staff_action row — who, when, what, on
 * what, the values before and after — in the same transaction as the write, so a write without its
 * record (or a record without its write) cannot happen. The table is append-only (a trigger
 * refuses updates and deletes); admins read it through GET /api/audit-events.
 */
import { z } from 'zod';
import type { Queryable } from '#shared/db/types.ts';
import type { Identity } from '../access/identity.ts';
import { decodeCursor, type Page, toPage } from '../http/pagination.ts';
import { currentRequestId } from '../logging.ts';

export const STAFF_ACTION_KINDS = [
  'staff.update',
  'classification_override.set',
  'classification_override.remove',
  'classification.recompute',
  'tag.create',
  'tag.update',
  'tag.delete',
  'product_tag.add',
  'product_tag.remove',
  'asset.create',
  'asset_mapping.create',
  'asset_mapping.update',
  'asset_mapping.delete',
  'sync.trigger',
  'parity_check.trigger',
  'replay.trigger',
  // An admin's redrive or fail of one execution (workers/shared/procedures/operator-actions.ts).
  'execution.redrive',
  'execution.fail',
] as const;
export type StaffActionKind = (typeof STAFF_ACTION_KINDS)[number];

export const STAFF_ACTION_TARGET_KINDS = [
  'person',
  'product',
  'tag',
  'product_tag',
  'asset',
  'asset_mapping',
  'procedure_execution',
  'classification',
] as const;
export type StaffActionTargetKind = (typeof STAFF_ACTION_TARGET_KINDS)[number];

export interface StaffActionInput {
  actor: Identity;
  kind: StaffActionKind;
  target: { kind: StaffActionTargetKind; id: string | number };
  /** The values before the write (null for a creation). */
  before?: unknown;
  /** The values after the write (null for a deletion). */
  after?: unknown;
}

const json = (value: unknown) => (value === undefined || value === null ? null : JSON.stringify(value));

/** Records one write; call it with the write's transaction. */
export async function recordStaffAction(tx: Queryable, action: StaffActionInput): Promise<void> {
  const actor = action.actor;
  await tx`
    insert into staff_action
      (actor_person_id, actor_description, action_kind, target_kind, target_id, before_state, after_state, request_id)
    values (${actor.kind === 'person' ? actor.personId : null},
            ${actor.kind === 'person' ? actor.email : `service token ${actor.commonName}`},
            ${action.kind}, ${action.target.kind}, ${String(action.target.id)},
            ${json(action.before)}::text::jsonb, ${json(action.after)}::text::jsonb, ${currentRequestId()})`;
}

export interface StaffActionEntry {
  id: string;
  performed_at: string;
  actor: { person_id: string | null; description: string };
  kind: StaffActionKind;
  target: { kind: StaffActionTargetKind; id: string };
  before: unknown;
  after: unknown;
  request_id: string | null;
}

interface EntryRow {
  id: string;
  performed_at: string;
  performed_at_micros: string;
  actor_person_id: string | null;
  actor_description: string;
  action_kind: StaffActionKind;
  target_kind: StaffActionTargetKind;
  target_id: string;
  before_state: string | null;
  after_state: string | null;
  request_id: string | null;
}

const cursorSchema = z.strictObject({ k: z.string().regex(/^\d{1,19}$/), id: z.guid() });

export interface StaffActionQuery {
  limit: number;
  cursor?: string;
  /** The acting person's id. */
  person?: string;
  target_kind?: StaffActionTargetKind;
  target_id?: string;
  kind?: StaffActionKind;
}

/** Newest first, filtered by acting person, target and kind. */
export async function listStaffActions(sql: Queryable, query: StaffActionQuery): Promise<Page<StaffActionEntry>> {
  const after = query.cursor ? decodeCursor(query.cursor, cursorSchema) : undefined;
  const rows = await sql<EntryRow[]>`
    select staff_action_id as id,
           to_char(performed_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as performed_at,
           (extract(epoch from performed_at) * 1000000)::bigint::text as performed_at_micros,
           actor_person_id, actor_description, action_kind, target_kind, target_id,
           before_state::text, after_state::text, request_id
    from staff_action
    where true
      ${query.person ? sql`and actor_person_id = ${query.person}::uuid` : sql``}
      ${query.target_kind ? sql`and target_kind = ${query.target_kind}` : sql``}
      ${query.target_id ? sql`and target_id = ${query.target_id}` : sql``}
      ${query.kind ? sql`and action_kind = ${query.kind}` : sql``}
      ${
        after
          ? sql`and (performed_at, staff_action_id)
                    < (timestamptz 'epoch' + ${after.k}::bigint * interval '1 microsecond', ${after.id}::uuid)`
          : sql``
      }
    order by performed_at desc, staff_action_id desc
    limit ${query.limit + 1}`;
  return toPage(
    rows,
    query.limit,
    (row) => ({ k: row.performed_at_micros, id: row.id }),
    (row) => ({
      id: row.id,
      performed_at: row.performed_at,
      actor: { person_id: row.actor_person_id, description: row.actor_description },
      kind: row.action_kind,
      target: { kind: row.target_kind, id: row.target_id },
      before: row.before_state === null ? null : JSON.parse(row.before_state),
      after: row.after_state === null ? null : JSON.parse(row.after_state),
      request_id: row.request_id,
    }),
  );
}
