/**
 * The Postgres error behind a failed query: postgres.js throws it as it is, drizzle wraps it in a
 * DrizzleQueryError whose `cause` it is. Domain modules read constraint names through here so a
 * refusal (a taken name, a failed check) means the same whichever client ran the query.
 */
import { DrizzleQueryError } from 'drizzle-orm/errors';

export interface PostgresErrorFields {
  /** SQLSTATE, e.g. 23505 for a unique violation. */
  code?: string;
  constraint_name?: string;
}

export function postgresError(error: unknown): PostgresErrorFields | null {
  const inner = error instanceof DrizzleQueryError ? error.cause : error;
  return typeof inner === 'object' && inner !== null ? (inner as PostgresErrorFields) : null;
}

/** The unique or check constraint a write violated, by name (constraint names say which rule). */
export function violatedConstraint(error: unknown): string | undefined {
  const e = postgresError(error);
  return e?.code === '23505' || e?.code === '23514' ? e.constraint_name : undefined;
}
