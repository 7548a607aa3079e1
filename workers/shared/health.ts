/**
 * What `/health` reports on both Workers, in one database round trip: whether the database
 * answers and at which migration, the last success of each procedure kind and the sync cursors,
 * the queue backlog, and the failure rate of ProcedureExecutions over the last hour. `alert` is
 * the condition to page on (docs/operations.md "Observability"): the failure rate above its threshold, a
 * backlog idle for too long, a stalled execution, or a database that is down or unmigrated.
 */
import { z } from '@hono/zod-openapi';
import type { Sql } from '#shared/db/types.ts';
import { blankAsUnset, configSection } from './config.ts';
import { freshRead } from './db/fresh.ts';
import { log } from './logging.ts';
import { describeError, PROCEDURE_KINDS } from './procedures/execution.ts';
import { stalledCondition, stallSecondsSchema } from './procedures/watchdog.ts';

export interface HealthThresholds {
  /** Alert when more than this share of the executions finished in the last hour failed. */
  failureRate: number;
  /** Alert when a queued or waiting execution has not moved for this long. */
  backlogMaxIdleSeconds: number;
  /** An active execution without a heartbeat or wake-up for this long is stalled (EXECUTION_STALL_SECONDS). */
  stallSeconds: number;
}

/** Alert thresholds, from the Workers' variables (wrangler [vars]); defaults when unset or blank. */
export const healthSection = configSection<HealthThresholds>(
  'Worker',
  z
    .object({
      HEALTH_FAILURE_RATE_THRESHOLD: z.preprocess(
        blankAsUnset,
        z.coerce
          .number({ message: 'must be a number between 0 and 1' })
          .min(0, 'must be between 0 and 1')
          .max(1, 'must be between 0 and 1')
          .default(0.2),
      ),
      HEALTH_BACKLOG_MAX_IDLE_SECONDS: z.preprocess(
        blankAsUnset,
        z.coerce
          .number({ message: 'must be a number of seconds' })
          .int('must be a whole number of seconds')
          .positive('must be a positive number of seconds')
          .default(1800),
      ),
      EXECUTION_STALL_SECONDS: stallSecondsSchema,
    })
    .transform((vars) => ({
      failureRate: vars.HEALTH_FAILURE_RATE_THRESHOLD,
      backlogMaxIdleSeconds: vars.HEALTH_BACKLOG_MAX_IDLE_SECONDS,
      stallSeconds: vars.EXECUTION_STALL_SECONDS,
    })),
);

const timestamp = z.string().openapi({ format: 'date-time', example: '2026-11-22T03:00:00.000Z' });

export const healthReportSchema = z
  .object({
    status: z
      .enum(['ok', 'degraded'])
      .openapi({ description: 'degraded (503) when the database is down or unmigrated, or an execution is stalled' }),
    worker: z.string(),
    alert: z.boolean().openapi({ description: 'the alert condition: true when any of `alerts` holds' }),
    alerts: z.array(z.string()).openapi({ description: 'why `alert` is true, one line each' }),
    database: z.object({
      ok: z.boolean(),
      round_trip_ms: z.number().nullable(),
      migration_version: z.string().nullable(),
      error: z.string().optional(),
    }),
    syncs: z
      .object({
        last_succeeded_at: z
          .record(z.string(), timestamp.nullable())
          .openapi({ description: 'procedure kind → when its latest successful execution finished' }),
        cursors: z.record(z.string(), z.object({ window_end_at: timestamp, updated_at: timestamp })).openapi({
          description: 'resource → how far its incremental sync has loaded (sync_cursor)',
        }),
      })
      .nullable(),
    queue: z
      .object({
        queued: z.number().int(),
        waiting: z.number().int(),
        running: z.number().int(),
        stalled: z.number().int().openapi({
          description:
            'active executions with neither a heartbeat nor a scheduled wake-up within the stall threshold (EXECUTION_STALL_SECONDS); the 15-minute cron re-sends or fails them',
        }),
        stall_seconds: z.number().int(),
        oldest_idle_seconds: z.number().nullable().openapi({
          description: 'how long the longest-idle queued or waiting execution has not moved',
        }),
        max_idle_seconds: z.number().int(),
      })
      .nullable(),
    executions_last_hour: z
      .object({
        finished: z.number().int(),
        failed: z.number().int(),
        failure_rate: z.number().nullable().openapi({ description: 'failed / finished; null when none finished' }),
        failure_rate_threshold: z.number(),
      })
      .nullable(),
  })
  .openapi('Health');

export type HealthReport = z.infer<typeof healthReportSchema>;

/**
 * What the public, unauthenticated `/health` says: only ok / degraded (the alert condition holds) /
 * down (the database is unreachable or unmigrated; 503). The detailed report, which names
 * executions, syncs and database errors, is at `/health/details` behind Access (viewer).
 */
export const publicHealthSchema = z
  .object({ status: z.enum(['ok', 'degraded', 'down']) })
  .openapi('PublicHealth', { description: 'details at /health/details (Cloudflare Access, viewer)' });

export type PublicHealth = z.infer<typeof publicHealthSchema>;

export function publicHealth(report: HealthReport): PublicHealth {
  if (!report.database.ok) return { status: 'down' };
  return { status: report.alert ? 'degraded' : 'ok' };
}

interface HealthRow {
  migration_version: string | null;
  queued: number;
  waiting: number;
  running: number;
  stalled: number;
  oldest_idle_seconds: number | null;
  finished: number;
  failed: number;
  last_succeeded_at: Record<string, string | null>;
  cursors: Record<string, { window_end_at: string; updated_at: string }>;
}

/** Postgres's "relation does not exist": the database is behind this code's migrations. */
const UNDEFINED_TABLE = '42P01';

export async function checkHealth(sql: Sql, worker: string, thresholds: HealthThresholds): Promise<HealthReport> {
  const started = performance.now();
  let row: HealthRow | undefined;
  try {
    // One round trip. Each part reads an index made for it (db/migrations/20261122006*).
    [row] = await sql<HealthRow[]>`
      with active as (
        select status, heartbeat_at, requested_at, wake_up_at, coalesce(heartbeat_at, requested_at) as moved_at
        from procedure_execution
        where status in ('queued', 'running', 'waiting')
      ), finished as (
        select status from procedure_execution where finished_at > now() - interval '1 hour'
      )
      select
        (select max(version) from schema_migrations) as migration_version,
        (select count(*) from active where status = 'queued')::int as queued,
        (select count(*) from active where status = 'waiting')::int as waiting,
        (select count(*) from active where status = 'running')::int as running,
        (select count(*) from active where ${stalledCondition(sql, thresholds.stallSeconds)})::int as stalled,
        (select extract(epoch from now() - min(moved_at)) from active where status in ('queued', 'waiting'))::float8
          as oldest_idle_seconds,
        (select count(*) from finished)::int as finished,
        (select count(*) from finished where status = 'failed')::int as failed,
        (select jsonb_object_agg(kind.name, to_char(latest.finished_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
          from jsonb_array_elements_text(${JSON.stringify(PROCEDURE_KINDS)}::text::jsonb) as kind(name)
          left join lateral (
            select finished_at from procedure_execution
            where procedure_kind = kind.name and status = 'succeeded'
            order by finished_at desc limit 1
          ) latest on true) as last_succeeded_at,
        (select coalesce(jsonb_object_agg(resource_name, jsonb_build_object(
            'window_end_at', to_char(window_end_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
            'updated_at', to_char(updated_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))), '{}'::jsonb)
          from sync_cursor) as cursors
      where ${freshRead(sql)}`;
  } catch (error) {
    const unmigrated = (error as { code?: string }).code === UNDEFINED_TABLE;
    return unhealthy(worker, {
      round_trip_ms: unmigrated ? elapsed(started) : null,
      error: unmigrated
        ? `database is reachable but not migrated (${describeError(error)}): run \`npm run db:migrate\``
        : describeError(error),
    });
  }
  const roundTripMs = elapsed(started);
  if (!row?.migration_version) {
    return unhealthy(worker, {
      round_trip_ms: roundTripMs,
      error: 'database is reachable but not migrated: run `npm run db:migrate`',
    });
  }

  const failureRate = row.finished > 0 ? row.failed / row.finished : null;
  const alerts: string[] = [];
  if (failureRate !== null && failureRate > thresholds.failureRate) {
    alerts.push(
      `${row.failed} of ${row.finished} executions finished in the last hour failed (${percent(failureRate)} > ${percent(thresholds.failureRate)})`,
    );
  }
  if (row.oldest_idle_seconds !== null && row.oldest_idle_seconds > thresholds.backlogMaxIdleSeconds) {
    alerts.push(
      `a queued or waiting execution has not moved for ${Math.round(row.oldest_idle_seconds)} s (> ${thresholds.backlogMaxIdleSeconds} s): is the queue consumer running?`,
    );
  }
  if (row.stalled > 0) {
    alerts.push(
      `${row.stalled} execution(s) stalled: no heartbeat or wake-up for over ${thresholds.stallSeconds} s (the 15-minute cron re-sends their messages, then fails them)`,
    );
  }
  const report: HealthReport = {
    // Degraded while an execution is stalled: its schedule cannot start another run.
    status: row.stalled > 0 ? 'degraded' : 'ok',
    worker,
    alert: alerts.length > 0,
    alerts,
    database: { ok: true, round_trip_ms: roundTripMs, migration_version: row.migration_version },
    syncs: { last_succeeded_at: row.last_succeeded_at, cursors: row.cursors },
    queue: {
      queued: row.queued,
      waiting: row.waiting,
      running: row.running,
      stalled: row.stalled,
      stall_seconds: thresholds.stallSeconds,
      oldest_idle_seconds: row.oldest_idle_seconds === null ? null : Math.round(row.oldest_idle_seconds),
      max_idle_seconds: thresholds.backlogMaxIdleSeconds,
    },
    executions_last_hour: {
      finished: row.finished,
      failed: row.failed,
      failure_rate: failureRate === null ? null : Math.round(failureRate * 10_000) / 10_000,
      failure_rate_threshold: thresholds.failureRate,
    },
  };
  if (report.alert) log.warn('health alert', { worker, alerts, executions_last_hour: report.executions_last_hour });
  return report;
}

function unhealthy(worker: string, database: { round_trip_ms: number | null; error: string }): HealthReport {
  const alerts = [`database: ${database.error}`];
  log.error('health alert', { worker, alerts });
  return {
    status: 'degraded',
    worker,
    alert: true,
    alerts,
    database: { ok: false, migration_version: null, ...database },
    syncs: null,
    queue: null,
    executions_last_hour: null,
  };
}

function elapsed(started: number): number {
  return Math.round((performance.now() - started) * 100) / 100;
}

function percent(rate: number): string {
  return `${Math.round(rate * 1000) / 10}%`;
}
