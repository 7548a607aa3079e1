/**
 * Cron Triggers (workers/ingest/wrangler.toml): each schedule records a ProcedureExecution and
 * enqueues it. A schedule whose previous run is still active is skipped, not doubled. The daily
 * retention runs in place.
 */
import { withDatabase } from '../../shared/db/client.ts';
import { checkEnv, type Env } from '../../shared/env.ts';
import { log } from '../../shared/logging.ts';
import { ExecutionConflictError, type ProcedureKind } from '../../shared/procedures/execution.ts';
import { enqueueExecution } from '../../shared/procedures/runner.ts';
import { applyRetention, readRetentionPolicy } from '../../shared/retention.ts';

/** cron expression → what it starts. Keep in step with [triggers] crons in the wrangler config. */
export const SCHEDULES: Record<string, { kind: ProcedureKind; parameters: Record<string, unknown> }> = {
  '*/15 * * * *': { kind: 'full', parameters: { mode: 'incremental' } },
  '0 3 * * *': { kind: 'full', parameters: { mode: 'full' } },
  '30 6 * * *': { kind: 'parity_check', parameters: {} },
};

/** The daily retention (workers/shared/retention.ts): a few bounded statements, run in place. */
export const RETENTION_CRON = '45 4 * * *';

export async function runScheduled(controller: ScheduledController, env: Env, ctx: ExecutionContext): Promise<void> {
  checkEnv(env, ['HYPERDRIVE', 'INGEST_QUEUE']);
  if (controller.cron === RETENTION_CRON) {
    const policy = readRetentionPolicy(env);
    const outcome = await withDatabase(env.HYPERDRIVE, ctx, ({ sql }) => applyRetention(sql, policy));
    log.info('retention applied', { ...outcome });
    return;
  }
  const schedule = SCHEDULES[controller.cron];
  if (!schedule) {
    log.error('no schedule for cron expression', { cron: controller.cron });
    return;
  }
  await withDatabase(env.HYPERDRIVE, ctx, async ({ sql }) => {
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
      log.info('schedule skipped: previous run still active', { cron: controller.cron, kind: schedule.kind });
    }
  });
}
