/**
 * Liveness of ProcedureExecutions, and the watchdog the 15-minute cron runs before it starts
 * anything (workers/ingest/src/scheduled.ts).
 *
 * An execution is *stalled* when it is active (queued, running or waiting) and neither its
 * heartbeat (a running step beats every HEARTBEAT_INTERVAL_SECONDS, runner.ts) nor a scheduled
 * wake-up (a waiting execution's delayed message, or a message the watchdog re-sent) is within
 * the last EXECUTION_STALL_SECONDS. Its message was lost (dead-lettered, dropped by a deploy, never
 * sent) or its step was killed.
 *
 * The watchdog re-sends the message for a stalled execution's current step (steps are claimed
 * under a lease and idempotent from their checkpoint, so a message too many does nothing), at
 * most EXECUTION_STALL_MAX_RESENDS times; then it fails the execution with the cause, which frees
 * its concurrency key, and wakes its parent, which fails or carries on by its own rules.
 */
import { z } from 'zod';
import type { Sql } from '#shared/db/types.ts';
import { blankAsUnset, configSection } from '../config.ts';
import { log } from '../logging.ts';
import type { ProcedureKind } from './execution.ts';
import type { IngestMessage } from './messages.ts';
import { nudgeExecution } from './runner.ts';

/** EXECUTION_STALL_SECONDS: also read by /health's section (workers/shared/health.ts). */
export const stallSecondsSchema = z.preprocess(
  blankAsUnset,
  z.coerce
    .number({ message: 'must be a number of seconds' })
    .int('must be a whole number of seconds')
    // three heartbeats at least: a live step is never taken for a stalled one
    .min(60, 'must be at least 60 seconds')
    .default(120),
);

export interface LivenessSettings {
  /** An active execution without a heartbeat or a wake-up for this long is stalled. */
  stallSeconds: number;
  /** How often the watchdog re-sends a stalled execution's message before it fails it. */
  maxResends: number;
}

/** From the Workers' variables (wrangler [vars]); defaults when unset or blank. */
export const livenessSection = configSection<LivenessSettings>(
  'Worker',
  z
    .object({
      EXECUTION_STALL_SECONDS: stallSecondsSchema,
      EXECUTION_STALL_MAX_RESENDS: z.preprocess(
        blankAsUnset,
        z.coerce
          .number({ message: 'must be a whole number' })
          .int('must be a whole number')
          .min(0, 'must be between 0 and 20')
          .max(20, 'must be between 0 and 20')
          .default(3),
      ),
    })
    .transform((vars) => ({
      stallSeconds: vars.EXECUTION_STALL_SECONDS,
      maxResends: vars.EXECUTION_STALL_MAX_RESENDS,
    })),
);

/**
 * The stalled condition, on procedure_execution's columns: the one definition (watchdog, /health,
 * crons). Hand-written, as are the queries built on it: interval arithmetic by Postgres's clock.
 */
export function stalledCondition(sql: Sql, stallSeconds: number) {
  return sql`status in ('queued', 'running', 'waiting')
    and greatest(coalesce(heartbeat_at, requested_at), wake_up_at) < now() - make_interval(secs => ${stallSeconds})`;
}

/** "4 min 5 s", "2 h 10 min". */
export function describeDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min${s % 60 ? ` ${s % 60} s` : ''}`;
  return `${Math.floor(s / 3600)} h${Math.floor((s % 3600) / 60) ? ` ${Math.floor((s % 3600) / 60)} min` : ''}`;
}

interface StalledRow {
  id: string;
  kind: ProcedureKind;
  status: string;
  step: number;
  resends: number;
  parent_id: string | null;
  silent_seconds: number;
}

export interface WatchdogReport {
  resent: string[];
  failed: string[];
}

/** At most this many stalled executions per run (the next cron takes the rest). */
const MAX_PER_RUN = 100;

/**
 * One watchdog round. Each action is a conditional update (still stalled, same re-send count), so
 * two rounds at once (two crons in the same minute) never act twice on one execution.
 */
export async function runWatchdog(
  sql: Sql,
  queue: Queue<IngestMessage>,
  settings: LivenessSettings,
): Promise<WatchdogReport> {
  const stalled = await sql<StalledRow[]>`
    select procedure_execution_id as id, procedure_kind as kind, status, step_count as step,
           watchdog_resend_count as resends, parent_procedure_execution_id as parent_id,
           extract(epoch from now() - coalesce(heartbeat_at, requested_at))::float8 as silent_seconds
    from procedure_execution
    where ${stalledCondition(sql, settings.stallSeconds)}
    order by requested_at
    limit ${MAX_PER_RUN}`;
  const report: WatchdogReport = { resent: [], failed: [] };
  for (const execution of stalled) {
    const silence = `no heartbeat for ${describeDuration(execution.silent_seconds)} (stall threshold ${settings.stallSeconds} s)`;
    const still = sql`procedure_execution_id = ${execution.id} and watchdog_resend_count = ${execution.resends}
                      and ${stalledCondition(sql, settings.stallSeconds)}`;
    const fields = {
      procedure_execution_id: execution.id,
      kind: execution.kind,
      status: execution.status,
      step: execution.step,
      silent_seconds: Math.round(execution.silent_seconds),
      stall_seconds: settings.stallSeconds,
    };
    if (execution.resends >= settings.maxResends) {
      const cause = `${silence} at step ${execution.step}; re-sent ${execution.resends} times`;
      const failed = await sql`
        update procedure_execution
        set status = 'failed', finished_at = now(), heartbeat_at = now(), error_text = ${cause},
            stall_reason_text = ${cause}
        where ${still}
        returning 1`;
      if (failed.length === 0) continue;
      report.failed.push(execution.id);
      log.error('stalled execution failed by the watchdog', { alert: true, ...fields, error: cause });
      if (execution.parent_id) await nudgeExecution(sql, queue, execution.parent_id);
      continue;
    }
    const reason = `${silence} at step ${execution.step} (${execution.status}); message re-sent (${execution.resends + 1} of ${settings.maxResends})`;
    // The re-sent message is a wake-up due now: the execution has a threshold's time to move.
    const [resent] = await sql<{ step_count: number }[]>`
      update procedure_execution
      set watchdog_resend_count = watchdog_resend_count + 1, wake_up_at = now(), stall_reason_text = ${reason}
      where ${still}
      returning step_count`;
    if (!resent) continue;
    await queue.send({ procedureExecutionId: execution.id, step: resent.step_count });
    report.resent.push(execution.id);
    log.warn('stalled execution: its message was re-sent', { ...fields, reason });
  }
  return report;
}

export interface ActiveExecution {
  id: string;
  age_seconds: number;
  /** stalled now, or re-sent by the watchdog (it was) */
  stalled: boolean;
  stall_reason_text: string | null;
}

/** The active execution holding a concurrency key, with its age and whether it is (or was) stalled. */
export async function activeExecutionOf(
  sql: Sql,
  concurrencyKey: string,
  settings: LivenessSettings,
): Promise<ActiveExecution | null> {
  const [row] = await sql<ActiveExecution[]>`
    select procedure_execution_id as id, extract(epoch from now() - requested_at)::float8 as age_seconds,
           (watchdog_resend_count > 0 or (${stalledCondition(sql, settings.stallSeconds)})) as stalled,
           stall_reason_text
    from procedure_execution
    where concurrency_key = ${concurrencyKey} and status in ('queued', 'running', 'waiting')`;
  return row ?? null;
}
