/**
 * Cron Triggers (SCHEDULES, ./schedules.ts): each schedule records a ProcedureExecution and
 * enqueues it. A schedule whose previous run is still active is skipped, not doubled.
 */
import { withDatabase } from '../../shared/db/client.ts';
import type { Env } from '../../shared/env.ts';
import { log } from '../../shared/logging.ts';
import { ExecutionConflictError, type ProcedureKind } from '../../shared/procedures/execution.ts';
import { enqueueExecution } from '../../shared/procedures/runner.ts';
import { ingestConfig } from './config.ts';
import { SCHEDULES } from './schedules.ts';

/** cron expression → what it starts (a kind that is not a ProcedureKind is a type error here). */
const schedules: Readonly<Record<string, { kind: ProcedureKind; parameters: Record<string, unknown> }>> = SCHEDULES;

export async function runScheduled(controller: ScheduledController, env: Env, ctx: ExecutionContext): Promise<void> {
  ingestConfig.read(env, 'worker');
  const schedule = schedules[controller.cron];
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
