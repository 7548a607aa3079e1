/** Staff roles, weakest first: each role may do everything the ones before it may. */
import type { RoleName } from '#db/schema.ts';

export const ROLE_ORDER = ['viewer', 'staff', 'admin', 'master'] as const satisfies readonly RoleName[];

export function roleRank(role: RoleName): number {
  return ROLE_ORDER.indexOf(role);
}

export function hasRole(role: RoleName, minimum: RoleName): boolean {
  return roleRank(role) >= roleRank(minimum);
}
