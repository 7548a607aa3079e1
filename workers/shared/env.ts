/**
 * The bindings and variables both Workers receive, parsed once at the edge so a missing binding
 * or a bad variable is a clear configuration error naming it, never a stack trace mid-request.
 */
import { z } from 'zod';
import type { IngestMessage } from './procedures/messages.ts';

export interface Env {
  /** The new PlanetScale Postgres database, through Hyperdrive. */
  HYPERDRIVE: Hyperdrive;
  /** The legacy Supabase database, read-only, through Hyperdrive (parity checks only). */
  LEGACY_HYPERDRIVE: Hyperdrive;
  /** Raw Shopify exports as gzip JSONL (information_bearing_entity). */
  RAW_ARCHIVE: R2Bucket;
  /** ProcedureExecutions to run on the ingest Worker's queue consumer. */
  INGEST_QUEUE: Queue<IngestMessage>;
  ENVIRONMENT: string;
  [key: string]: unknown;
}

export const ENVIRONMENTS = ['development', 'test', 'staging', 'production'] as const;

const varsSchema = z.object({
  ENVIRONMENT: z.enum(ENVIRONMENTS, { message: `must be one of ${ENVIRONMENTS.join(', ')}` }),
});

export class ConfigurationError extends Error {
  override name = 'ConfigurationError';
}

const REQUIRED_BINDINGS = {
  HYPERDRIVE: 'a Hyperdrive binding to the new database ([[hyperdrive]] binding = "HYPERDRIVE")',
  LEGACY_HYPERDRIVE: 'a Hyperdrive binding to the legacy database ([[hyperdrive]] binding = "LEGACY_HYPERDRIVE")',
  RAW_ARCHIVE: 'an R2 bucket binding ([[r2_buckets]] binding = "RAW_ARCHIVE")',
  INGEST_QUEUE: 'a Queue producer binding ([[queues.producers]] binding = "INGEST_QUEUE")',
} as const;

export type BindingName = keyof typeof REQUIRED_BINDINGS;

/** Throws a ConfigurationError naming every missing binding and invalid variable. */
export function checkEnv(env: Partial<Env>, bindings: readonly BindingName[]): void {
  const problems: string[] = [];
  for (const name of bindings) {
    if (!env[name]) problems.push(`missing binding ${name}: expected ${REQUIRED_BINDINGS[name]}`);
  }
  const hyperdrive = env.HYPERDRIVE;
  if (hyperdrive && bindings.includes('HYPERDRIVE') && !hyperdrive.connectionString) {
    problems.push('binding HYPERDRIVE has no connection string');
  }
  const vars = varsSchema.safeParse(env);
  if (!vars.success) {
    for (const issue of vars.error.issues) problems.push(`variable ${issue.path.join('.')}: ${issue.message}`);
  }
  if (problems.length > 0) throw new ConfigurationError(`Worker configuration is invalid:\n- ${problems.join('\n- ')}`);
}
