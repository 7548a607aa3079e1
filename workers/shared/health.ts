/**
 * What `/health` reports on both Workers: whether the database answers, how fast, and which
 * migration it is at. An unmigrated database is reported as such, not as a crash.
 */
import type { Sql } from './db/client.ts';
import { describeError } from './procedures/execution.ts';

export interface HealthReport {
  status: 'ok' | 'degraded';
  worker: string;
  database: {
    ok: boolean;
    round_trip_ms: number | null;
    migration_version: string | null;
    error?: string;
  };
}

export async function checkHealth(sql: Sql, worker: string): Promise<HealthReport> {
  const started = performance.now();
  try {
    const [probe] = await sql<{ migrated: boolean }[]>`
      select to_regclass('public.schema_migrations') is not null as migrated`;
    const [row] = probe?.migrated
      ? await sql<{ version: string | null }[]>`select max(version) as version from schema_migrations`
      : [{ version: null }];
    const roundTripMs = Math.round((performance.now() - started) * 100) / 100;
    if (!row?.version) {
      return {
        status: 'degraded',
        worker,
        database: {
          ok: false,
          round_trip_ms: roundTripMs,
          migration_version: null,
          error: 'database is reachable but not migrated: run `npm run db:migrate`',
        },
      };
    }
    return { status: 'ok', worker, database: { ok: true, round_trip_ms: roundTripMs, migration_version: row.version } };
  } catch (error) {
    return {
      status: 'degraded',
      worker,
      database: { ok: false, round_trip_ms: null, migration_version: null, error: describeError(error) },
    };
  }
}
