/**
 * The audit trail: every staff or admin write records a staff_action row — who, when, what, on
 * what, the values before and after — in the same transaction as the write, so a write without its
 * record (or a record without its write) cannot happen. The table is append-only (a trigger
 * refuses updates and deletes); admins read it through GET /api/audit-events.
 */
import { z } from '@hono/zod-openapi';
import { and, desc, eq, sql } from 'drizzle-orm';
import { staffAction } from '#db/schema.ts';
import type { Database } from '#shared/db/client.ts';
import { drizzleOf, jsonbValue } from '#shared/db/transaction.ts';
import type { Queryable } from '#shared/db/types.ts';
import type { Identity } from '../access/identity.ts';
import { freshReadCondition } from '../db/fresh.ts';
import { decodeCursor, type Page, toPage } from '../http/pagination.ts';
import { isoTimestamp } from '../http/schemas.ts';
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

/** Records one write; call it with the write's transaction (its postgres.js handle). */
export async function recordStaffAction(tx: Queryable, action: StaffActionInput): Promise<void> {
  const actor = action.actor;
  await drizzleOf(tx)
    .insert(staffAction)
    .values({
      actorPersonId: actor.kind === 'person' ? actor.personId : null,
      actorDescription: actor.kind === 'person' ? actor.email : `service token ${actor.commonName}`,
      actionKind: action.kind,
      targetKind: action.target.kind,
      targetId: String(action.target.id),
      beforeState: action.before == null ? null : jsonbValue(action.before),
      afterState: action.after == null ? null : jsonbValue(action.after),
      requestId: currentRequestId(),
    });
}

export const auditEventSchema = z
  .object({
    id: z.string(),
    performed_at: isoTimestamp,
    actor: z.object({
      person_id: z.string().nullable().openapi({ description: 'null for a service token' }),
      description: z.string().openapi({ example: 'admin@example.com' }),
    }),
    kind: z.enum(STAFF_ACTION_KINDS),
    target: z.object({ kind: z.enum(STAFF_ACTION_TARGET_KINDS), id: z.string() }),
    before: z.unknown().openapi({ description: 'the values before the write; null for a creation' }),
    after: z.unknown().openapi({ description: 'the values after the write; null for a deletion' }),
    request_id: z.string().nullable().openapi({ description: 'the x-request-id of the request that wrote it' }),
  })
  .openapi('AuditEvent');
export type StaffActionEntry = z.infer<typeof auditEventSchema>;

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

/** Newest first, filtered by acting person, target and kind; fresh, since it shows what was just written. */
export async function listStaffActions({ db }: Database, query: StaffActionQuery): Promise<Page<StaffActionEntry>> {
  const after = query.cursor ? decodeCursor(query.cursor, cursorSchema) : undefined;
  const rows = await db
    .select({
      id: staffAction.staffActionId,
      // Microseconds, as stored (toIsoTimestamp would round them to milliseconds).
      performed_at: sql<string>`to_char(${staffAction.performedAt} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`,
      performed_at_micros: sql<string>`(extract(epoch from ${staffAction.performedAt}) * 1000000)::bigint::text`,
      actor_person_id: staffAction.actorPersonId,
      actor_description: staffAction.actorDescription,
      action_kind: staffAction.actionKind,
      target_kind: staffAction.targetKind,
      target_id: staffAction.targetId,
      before_state: staffAction.beforeState,
      after_state: staffAction.afterState,
      request_id: staffAction.requestId,
    })
    .from(staffAction)
    .where(
      and(
        freshReadCondition,
        query.person ? eq(staffAction.actorPersonId, query.person) : undefined,
        query.target_kind ? eq(staffAction.targetKind, query.target_kind) : undefined,
        query.target_id ? eq(staffAction.targetId, query.target_id) : undefined,
        query.kind ? eq(staffAction.actionKind, query.kind) : undefined,
        after
          ? sql`(${staffAction.performedAt}, ${staffAction.staffActionId})
                < (timestamptz 'epoch' + ${after.k}::bigint * interval '1 microsecond', ${after.id}::uuid)`
          : undefined,
      ),
    )
    .orderBy(desc(staffAction.performedAt), desc(staffAction.staffActionId))
    .limit(query.limit + 1);
  return toPage(
    rows,
    query.limit,
    (row) => ({ k: row.performed_at_micros, id: row.id }),
    (row) => ({
      id: row.id,
      performed_at: row.performed_at,
      actor: { person_id: row.actor_person_id, description: row.actor_description },
      // The table holds only what recordStaffAction wrote, typed by these lists.
      kind: row.action_kind as StaffActionKind,
      target: { kind: row.target_kind as StaffActionTargetKind, id: row.target_id },
      before: row.before_state,
      after: row.after_state,
      request_id: row.request_id,
    }),
  );
}
