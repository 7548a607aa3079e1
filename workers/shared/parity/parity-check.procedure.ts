/**
 * The `parity_check` ProcedureExecution, run by the ingest Worker's queue consumer (started by the
 * daily Cron Trigger or POST /api/parity-checks): opens the read-only legacy database, runs every
 * check against the new one, and stores the results in parity_check_execution.
 *
 * A run whose checks all ran succeeds, whatever their verdicts. A run with a check that could not
 * run, or that could not run at all, is stored as `error` and the execution fails with the cause,
 * so it counts in /health's failure rate.
 */

import { bindingsSchema, configSection } from '../config.ts';
import { closeDatabase, openDatabase } from '../db/client.ts';
import { describeError } from '../procedures/execution.ts';
import type { StepContext, StepResult } from '../procedures/runner.ts';
import { parityParametersSchema } from './parameters.ts';
import { type ParityRun, runParityChecks } from './runner.ts';
import { newSide } from './sides.ts';
import { paritySection } from './standard.ts';
import { saveFailedParityRun, saveParityRun } from './store.ts';

/** Only a parity run needs the legacy database: without it, the run fails naming the binding. */
const legacyDatabase = configSection('Worker', bindingsSchema(['LEGACY_HYPERDRIVE']));

import { fallbackWindow } from './window.ts';

export class ParityRunError extends Error {
  override name = 'ParityRunError';
}

export async function parityCheckStep({ database, env, ctx, execution, log }: StepContext): Promise<StepResult> {
  const parameters = parityParametersSchema.parse(execution.parameters);
  const startedAt = new Date().toISOString();
  let run: ParityRun;
  try {
    legacyDatabase.read(env);
    const legacy = openDatabase(env.LEGACY_HYPERDRIVE);
    try {
      // Without a tolerance asked for, the configured one: what makes a run standard (standard.ts).
      const tolerance = parameters.tolerance ?? paritySection.read(env).tolerance;
      run = await runParityChecks(legacy.sql, database.sql, { ...parameters, tolerance });
    } finally {
      closeDatabase(legacy, ctx);
    }
  } catch (error) {
    const window = await fallbackWindow(newSide(database.sql), parameters);
    await saveFailedParityRun(database.sql, execution.procedure_execution_id, {
      window,
      startedAt,
      cause: describeError(error),
    });
    throw error;
  }
  await saveParityRun(database.sql, execution.procedure_execution_id, run);
  log.info('parity run finished', {
    verdict: run.verdict,
    duration_ms: run.duration_ms,
    window_from: run.window.from,
    window_to: run.window.to,
    watermark_at: run.window.watermarkAt,
    failing: run.checks.filter((c) => c.verdict !== 'pass').map((c) => c.name),
  });
  const errored = run.checks.filter((c) => c.verdict === 'error');
  if (errored.length > 0) {
    throw new ParityRunError(
      `${errored.length} parity checks could not run: ${errored.map((c) => `${c.name}: ${c.details.summary}`).join('; ')}`,
    );
  }
  return { outcome: 'done', rowsProcessed: run.checks.length };
}
