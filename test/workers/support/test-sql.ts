import { env } from 'cloudflare:workers';
import postgres from 'postgres';
import type { Env } from '../../../workers/shared/env.ts';

/** A client on the Worker's own test database (or the legacy one), for arranging rows and reading them back. */
export function openTestSql(which: 'app' | 'legacy' = 'app', options: { max?: number } = {}): postgres.Sql {
  const hyperdrive = (env as unknown as Env)[which === 'app' ? 'HYPERDRIVE' : 'LEGACY_HYPERDRIVE'];
  return postgres(hyperdrive.connectionString, { max: options.max ?? 2, fetch_types: false, onnotice: () => {} });
}
