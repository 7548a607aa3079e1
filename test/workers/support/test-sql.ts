import { env } from 'cloudflare:workers';
import postgres from 'postgres';
import type { Sql } from '#shared/db/types.ts';
import type { Env } from '#shared/env.ts';

/** The Workers test environment: the Worker's bindings plus direct ones for the tests' own SQL (vitest.config.ts). */
export type TestEnv = Env & { TEST_DIRECT_HYPERDRIVE: Hyperdrive; TEST_DIRECT_LEGACY_HYPERDRIVE: Hyperdrive };

/** The binding straight to the test database, past the Hyperdrive query cache emulation. */
export function directHyperdrive(which: 'app' | 'legacy' = 'app'): Hyperdrive {
  const testEnv = env as unknown as TestEnv;
  return which === 'app' ? testEnv.TEST_DIRECT_HYPERDRIVE : testEnv.TEST_DIRECT_LEGACY_HYPERDRIVE;
}

/**
 * A client on the Worker's own test database (or the legacy one), for arranging rows and reading
 * them back: it sees what is in the database, never a cached answer.
 */
export function openTestSql(which: 'app' | 'legacy' = 'app', options: { max?: number } = {}): Sql {
  return postgres(directHyperdrive(which).connectionString, {
    max: options.max ?? 2,
    fetch_types: false,
    onnotice: () => {},
  });
}
