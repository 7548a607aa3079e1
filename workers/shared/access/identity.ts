/**
 * Who is calling: a verified Access token's email is a `person` (with its role), a service token's
 * client id (`common_name`) maps to a role by configuration. Anyone else is forbidden.
 */
import type { RoleName } from '#db/schema.ts';
import type { Sql } from '#shared/db/types.ts';
import { freshRead } from '../db/fresh.ts';
import { ApiError } from '../http/errors.ts';
import type { AccessConfig } from './config.ts';
import type { AccessClaims } from './verify.ts';

export type Identity =
  | { kind: 'person'; personId: string; email: string; fullName: string | null; role: RoleName }
  | { kind: 'service_token'; commonName: string; role: RoleName };

export async function resolveIdentity(sql: Sql, claims: AccessClaims, config: AccessConfig): Promise<Identity> {
  const email = claims.email?.trim().toLowerCase();
  if (email) {
    const [person] = await sql<{ person_id: string; email: string; full_name: string | null; role_name: RoleName }[]>`
      select person_id, email, full_name, role_name from person where email = ${email} and ${freshRead(sql)}`;
    if (!person) throw new ApiError(403, `${email} is not a staff member of this dashboard`);
    return {
      kind: 'person',
      personId: person.person_id,
      email: person.email,
      fullName: person.full_name,
      role: person.role_name,
    };
  }
  const commonName = claims.common_name?.trim();
  if (commonName) {
    const role = Object.hasOwn(config.serviceTokenRoles, commonName) ? config.serviceTokenRoles[commonName] : undefined;
    if (!role) throw new ApiError(403, `service token ${commonName} is not granted a role`);
    return { kind: 'service_token', commonName, role };
  }
  throw new ApiError(403, 'the Access token names neither an email nor a service token');
}

/** The person to record as the author of a change; service tokens have none. */
export function authorPersonId(identity: Identity): string | null {
  return identity.kind === 'person' ? identity.personId : null;
}

/** A short description for logs and execution parameters. */
export function describeIdentity(identity: Identity): string {
  return identity.kind === 'person' ? identity.email : `service token ${identity.commonName}`;
}
