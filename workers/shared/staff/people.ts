/**
 * Staff members (person) as the legacy REST API shows them (scenario 14). Admins manage staff;
 * only a master may grant admin or master, or change an admin's or master's role; the last master
 * cannot be demoted (the master rows are locked while that is decided, so two concurrent demotions
 * cannot leave none).
 */
import { z } from '@hono/zod-openapi';
import { asc, eq } from 'drizzle-orm';
import { person, ROLE_NAMES, type RoleName } from '#db/schema.ts';
import type { Database } from '#shared/db/client.ts';
import { transaction } from '#shared/db/transaction.ts';
import type { Identity } from '../access/identity.ts';
import { hasRole } from '../access/roles.ts';
import { recordStaffAction } from '../audit/staff-action.ts';
import { freshReadCondition } from '../db/fresh.ts';
import { conflict, DomainError, notFound } from '../errors.ts';
import { toIsoTimestamp } from '../http/json-values.ts';
import { isoTimestamp } from '../http/schemas.ts';

export const meSchema = z
  .object({
    id: z.string().nullable().openapi({ description: 'null for a service token' }),
    email: z.string().nullable().openapi({ description: 'null for a service token' }),
    full_name: z.string().nullable(),
    role: z.enum(ROLE_NAMES),
  })
  .openapi('Me');
export type Me = z.infer<typeof meSchema>;

export const staffMemberSchema = z
  .object({
    id: z.string(),
    email: z.string(),
    full_name: z.string().nullable(),
    role: z.enum(ROLE_NAMES),
    created_at: isoTimestamp,
  })
  .openapi('StaffMember');
export type StaffMember = z.infer<typeof staffMemberSchema>;

/** `/api/me`: a person as stored; a service token by its client id (it has no person row). */
export function describeMe(identity: Identity): Me {
  if (identity.kind === 'person') {
    return { id: identity.personId, email: identity.email, full_name: identity.fullName, role: identity.role };
  }
  return { id: null, email: null, full_name: `service token ${identity.commonName}`, role: identity.role };
}

const staffColumns = {
  id: person.personId,
  email: person.email,
  full_name: person.fullName,
  role: person.roleName,
  created_at: person.createdAt,
};

const toStaffMember = (row: StaffMember): StaffMember => ({ ...row, created_at: toIsoTimestamp(row.created_at) });

export async function listStaff({ db }: Database): Promise<{ data: StaffMember[] }> {
  const rows = await db.select(staffColumns).from(person).where(freshReadCondition).orderBy(asc(person.email));
  return { data: rows.map(toStaffMember) };
}

export async function updateStaffMember(
  database: Database,
  actor: Identity,
  personId: string,
  input: { role?: RoleName; full_name?: string | null },
): Promise<StaffMember> {
  const byId = eq(person.personId, personId);
  return transaction(database.sql, async (tx) => {
    // Lock every master row first: the "last master" rule reads them all.
    const masters = await tx.db
      .select({ id: person.personId })
      .from(person)
      .where(eq(person.roleName, 'master'))
      .orderBy(person.personId)
      .for('update');
    const [target] = await tx.db
      .select({ role: person.roleName, full_name: person.fullName })
      .from(person)
      .where(byId)
      .for('update');
    if (!target) throw notFound(`staff member ${personId}`);

    if (input.role !== undefined && input.role !== target.role) {
      const touchesPrivileged = hasRole(input.role, 'admin') || hasRole(target.role, 'admin');
      if (touchesPrivileged && !hasRole(actor.role, 'master')) {
        throw new DomainError('forbidden', 'only a master may grant admin or master, or change an admin or master');
      }
      if (target.role === 'master' && masters.length <= 1) {
        throw conflict('this is the last master; make another staff member master first');
      }
    }

    // drizzle leaves out the undefined ones: a field not given keeps its value.
    const changes = { roleName: input.role, fullName: input.full_name };
    const [row] = Object.values(changes).some((value) => value !== undefined)
      ? await tx.db.update(person).set(changes).where(byId).returning(staffColumns)
      : await tx.db.select(staffColumns).from(person).where(byId);
    if (!row) throw notFound(`staff member ${personId}`);
    await recordStaffAction(tx.sql, {
      actor,
      kind: 'staff.update',
      target: { kind: 'person', id: personId },
      before: { role: target.role, full_name: target.full_name },
      after: { role: row.role, full_name: row.full_name },
    });
    return toStaffMember(row);
  });
}
