/**
 * Cron Triggers (SCHEDULES, ./schedules.ts): each schedule records a ProcedureExecution and
 * enqueues it. A schedule whose previous run is still active is skipped, not doubled. The
 * 15-minute schedule first runs the watchdog (workers/shared/procedures/watchdog.ts), so a run
 * that lost its message is re-sent or failed before the schedule decides whether to start one.
 * The daily retention (RETENTION_CRON) runs in place.
 */
import { withDatabase } from '../../shared/db/client.ts';
import type { Env } from '../../shared/env.ts';
import { log } from '../../shared/logging.ts';
import { ExecutionConflictError, type ProcedureKind } from '../../shared/procedures/execution.ts';
import { enqueueExecution } from '../../shared/procedures/runner.ts';
import { activeExecutionOf, describeDuration, runWatchdog } from '../../shared/procedures/watchdog.ts';
import { applyRetention } from '../../shared/retention.ts';
import { ingestConfig } from './config.ts';
import { RETENTION_CRON, SCHEDULES, WATCHDOG_CRON } from './schedules.ts';

interface Schedule {
  kind: ProcedureKind;
  parameters: Record<string, unknown>;
  intervalSeconds: number;
}

/** cron expression → what it starts (a kind that is not a ProcedureKind is a type error here). */
const schedules: Readonly<Record<string, Schedule>> = SCHEDULES;

export async function runScheduled(controller: ScheduledController, env: Env, ctx: ExecutionContext): Promise<void> {
  ingestConfig.read(env, 'worker');
  if (controller.cron === RETENTION_CRON) {
    const policy = ingestConfig.read(env, 'retention');
    const outcome = await withDatabase(env.HYPERDRIVE, ctx, ({ sql }) => applyRetention(sql, policy));
    log.info('retention applied', { ...outcome });
    return;
  }
  const schedule = schedules[controller.cron];
  if (!schedule) {
    log.error('no schedule for cron expression', { cron: controller.cron });
    return;
  }
  const liveness = ingestConfig.read(env, 'liveness');
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
