import type { Role } from '../projections/read-model.ts';

export type { Role };
export const roles: readonly Role[] = ['user', 'operator', 'admin'];
const rank: Record<Role, number> = { user: 0, operator: 1, admin: 2 };

/** Roles are ordered: an admin may do whatever an operator may, an operator whatever a user may. */
export function hasRole(actual: Role, needed: Role): boolean {
  return rank[actual] >= rank[needed];
}

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (roles as readonly string[]).includes(value);
}
