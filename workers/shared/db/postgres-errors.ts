/**
 * The Postgres error behind a failed query: postgres.js throws it as it is, drizzle wraps it in a
 * DrizzleQueryError whose `cause` it is (and whose message quotes the query and its parameters).
 * Everything that reads a SQLSTATE, a constraint name or a failure's message reads it through
 * here, so an error means the same whichever client ran the query.
 */
import { DrizzleQueryError } from 'drizzle-orm/errors';

export interface PostgresErrorFields {
  /** SQLSTATE, e.g. 23505 for a unique violation. */
  code?: string;
  constraint_name?: string;
}

/** The driver's own error: the cause of drizzle's wrapper, or the error itself. */
export function driverError(error: unknown): unknown {
  return error instanceof DrizzleQueryError && error.cause !== undefined ? error.cause : error;
}

export function postgresError(error: unknown): PostgresErrorFields | null {
  const inner = driverError(error);
  return typeof inner === 'object' && inner !== null ? (inner as PostgresErrorFields) : null;
}

/** The unique or check constraint a write violated, by name (constraint names say which rule). */
export function violatedConstraint(error: unknown): string | undefined {
  const e = postgresError(error);
  return e?.code === '23505' || e?.code === '23514' ? e.constraint_name : undefined;
}

/** A unique violation, of `constraint` when one is named. */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  const e = postgresError(error);
  return e?.code === '23505' && (constraint === undefined || e.constraint_name === constraint);
}
