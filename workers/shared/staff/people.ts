/**
 * Staff members (person) as the legacy REST API shows them (scenario 14). Admins manage staff;
 * only a master may grant admin or master, or change an admin's or master's role; the last master
 * cannot be demoted (the master rows are locked while that is decided, so two concurrent demotions
 * cannot leave none).
 */
import { asc } from 'drizzle-orm';
import { person, type RoleName } from '#db/schema.ts';
import type { Db, Sql } from '#shared/db/types.ts';
import type { Identity } from '../access/identity.ts';
import { hasRole } from '../access/roles.ts';
import { recordStaffAction } from '../audit/staff-action.ts';
import { freshReadCondition } from '../db/fresh.ts';
import { ApiError } from '../http/errors.ts';
import { toIsoTimestamp } from '../http/json-values.ts';

export interface Me {
  id: string | null;
  email: string | null;
  full_name: string | null;
  role: RoleName;
}

export interface StaffMember {
  id: string;
  email: string;
  full_name: string | null;
  role: RoleName;
  created_at: string;
}

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

export async function listStaff(db: Db): Promise<{ data: StaffMember[] }> {
  const rows = await db.select(staffColumns).from(person).where(freshReadCondition).orderBy(asc(person.email));
  return { data: rows.map((row) => ({ ...row, created_at: toIsoTimestamp(row.created_at) })) };
}

export async function updateStaffMember(
  sql: Sql,
  actor: Identity,
  personId: string,
  input: { role?: RoleName; full_name?: string | null },
): Promise<StaffMember> {
  return sql.begin(async (tx) => {
    // Lock every master row first: the "last master" rule reads them all.
    const masters = await tx<{ person_id: string }[]>`
      select person_id from person where role_name = 'master' order by person_id for update`;
    const [target] = await tx<{ role_name: RoleName; full_name: string | null }[]>`
      select role_name, full_name from person where person_id = ${personId} for update`;
    if (!target) throw new ApiError(404, `staff member ${personId} not found`);

    if (input.role !== undefined && input.role !== target.role_name) {
      const touchesPrivileged = hasRole(input.role, 'admin') || hasRole(target.role_name, 'admin');
      if (touchesPrivileged && !hasRole(actor.role, 'master')) {
        throw new ApiError(403, 'only a master may grant admin or master, or change an admin or master');
      }
      if (target.role_name === 'master' && masters.length <= 1) {
        throw new ApiError(409, 'this is the last master; make another staff member master first');
      }
    }

    const [row] = await tx<
      { id: string; email: string; full_name: string | null; role: RoleName; created_at: string }[]
    >`
      update person set
        role_name = coalesce(${input.role ?? null}, role_name),
        full_name = ${input.full_name === undefined ? tx`full_name` : tx`${input.full_name}`}
      where person_id = ${personId}
      returning person_id as id, email, full_name, role_name as role, created_at`;
    if (!row) throw new ApiError(404, `staff member ${personId} not found`);
    await recordStaffAction(tx, {
      actor,
      kind: 'staff.update',
      target: { kind: 'person', id: personId },
      before: { role: target.role_name, full_name: target.full_name },
      after: { role: row.role, full_name: row.full_name },
    });
    return { ...row, created_at: toIsoTimestamp(row.created_at) };
  });
}
