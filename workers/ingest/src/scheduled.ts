/**
 * Cron Triggers (workers/ingest/wrangler.toml): each schedule records a ProcedureExecution and
 * enqueues it. A schedule whose previous run is still active is skipped, not doubled. The
 * 15-minute schedule first runs the watchdog (workers/shared/procedures/watchdog.ts), so a run
 * that lost its message is re-sent or failed before the schedule decides whether to start one.
 */
import { withDatabase } from '../../shared/db/client.ts';
import { checkEnv, type Env } from '../../shared/env.ts';
import { log } from '../../shared/logging.ts';
import { ExecutionConflictError, type ProcedureKind } from '../../shared/procedures/execution.ts';
import { enqueueExecution } from '../../shared/procedures/runner.ts';
import {
  activeExecutionOf,
  describeDuration,
  readLivenessSettings,
  runWatchdog,
} from '../../shared/procedures/watchdog.ts';

interface Schedule {
  kind: ProcedureKind;
  parameters: Record<string, unknown>;
  /** How often the cron fires: a skipped run older than twice this is a warning. */
  intervalSeconds: number;
}

/** The schedule that runs the watchdog first. */
export const WATCHDOG_CRON = '*/15 * * * *';

/** cron expression → what it starts. Keep in step with [triggers] crons in the wrangler config. */
export const SCHEDULES: Record<string, Schedule> = {
  [WATCHDOG_CRON]: { kind: 'full', parameters: { mode: 'incremental' }, intervalSeconds: 15 * 60 },
  '0 3 * * *': { kind: 'full', parameters: { mode: 'full' }, intervalSeconds: 24 * 3600 },
  '30 6 * * *': { kind: 'parity_check', parameters: {}, intervalSeconds: 24 * 3600 },
};

export async function runScheduled(controller: ScheduledController, env: Env, ctx: ExecutionContext): Promise<void> {
  checkEnv(env, ['HYPERDRIVE', 'INGEST_QUEUE']);
  const schedule = SCHEDULES[controller.cron];
  if (!schedule) {
    log.error('no schedule for cron expression', { cron: controller.cron });
    return;
  }
  const liveness = readLivenessSettings(env);
  await withDatabase(env.HYPERDRIVE, ctx, async ({ sql }) => {
    if (controller.cron === WATCHDOG_CRON) {
      const report = await runWatchdog(sql, env.INGEST_QUEUE, liveness);
      if (report.resent.length + report.failed.length > 0) log.info('watchdog round', { ...report });
    }
    try {
      const execution = await enqueueExecution(sql, env.INGEST_QUEUE, {
        kind: schedule.kind,
        triggerSource: `cron:${controller.cron}`,
        parameters: schedule.parameters,
        concurrencyKey: schedule.kind,
      });
      log.info('scheduled execution enqueued', {
        procedure_execution_id: execution.procedure_execution_id,
        kind: schedule.kind,
        cron: controller.cron,
      });
    } catch (error) {
      if (!(error instanceof ExecutionConflictError)) throw error;
      const active = await activeExecutionOf(sql, schedule.kind, liveness);
      const fields = {
        cron: controller.cron,
        kind: schedule.kind,
        procedure_execution_id: active?.id,
        active_for: active ? describeDuration(active.age_seconds) : undefined,
        stalled: active?.stalled,
        stall_reason: active?.stall_reason_text ?? undefined,
      };
      // A run that is stalled or has held the schedule for two of its intervals is not routine.
      if (active && (active.stalled || active.age_seconds > 2 * schedule.intervalSeconds)) {
        log.warn('schedule skipped: previous run still active, stalled or overdue', fields);
      } else {
        log.info('schedule skipped: previous run still active', fields);
      }
    }
  });
}
