/**
 * Who is calling: a verified Access token's email is a `person` (with its role), a service token's
 * client id (`common_name`) maps to a role by configuration. Anyone else is forbidden.
 */
import { and, eq } from 'drizzle-orm';
import { person, type RoleName } from '#db/schema.ts';
import type { Database } from '#shared/db/client.ts';
import { freshReadCondition } from '../db/fresh.ts';
import { DomainError } from '../errors.ts';
import type { AccessConfig } from './config.ts';
import type { AccessClaims } from './verify.ts';

export type Identity =
  | { kind: 'person'; personId: string; email: string; fullName: string | null; role: RoleName }
  | { kind: 'service_token'; commonName: string; role: RoleName };

export async function resolveIdentity({ db }: Database, claims: AccessClaims, config: AccessConfig): Promise<Identity> {
  const email = claims.email?.trim().toLowerCase();
  if (email) {
    // Fresh: a role just changed (or a person just added) applies to the next request.
    const [row] = await db
      .select({ personId: person.personId, email: person.email, fullName: person.fullName, role: person.roleName })
      .from(person)
      .where(and(eq(person.email, email), freshReadCondition));
    if (!row) throw new DomainError('forbidden', `${email} is not a staff member of this dashboard`);
    return { kind: 'person', ...row };
  }
  const commonName = claims.common_name?.trim();
  if (commonName) {
    const role = Object.hasOwn(config.serviceTokenRoles, commonName) ? config.serviceTokenRoles[commonName] : undefined;
    if (!role) throw new DomainError('forbidden', `service token ${commonName} is not granted a role`);
    return { kind: 'service_token', commonName, role };
  }
  throw new DomainError('forbidden', 'the Access token names neither an email nor a service token');
}

/** The person to record as the author of a change; service tokens have none. */
export function authorPersonId(identity: Identity): string | null {
  return identity.kind === 'person' ? identity.personId : null;
}

/** A short description for logs and execution parameters. */
export function describeIdentity(identity: Identity): string {
  return identity.kind === 'person' ? identity.email : `service token ${identity.commonName}`;
}
