/**
 * Starting a parity run from the dashboard-api (POST /api/parity-checks, the console's button):
 * record a `parity_check` ProcedureExecution and put it on the ingest queue, where the ingest
 * Worker runs it. One run at a time: the concurrency key is the kind, as the daily Cron Trigger
 * uses, so a second request while one is queued or running is a 409.
 */

import type { Sql } from '#shared/db/types.ts';
import { describeIdentity, type Identity } from '../access/identity.ts';
import type { Env } from '../env.ts';
import { conflict } from '../errors.ts';
import { ExecutionConflictError } from '../procedures/execution.ts';
import { enqueueExecution } from '../procedures/runner.ts';
import type { ParityParameters } from './parameters.ts';
import { findParityRun, type StoredParityRun } from './store.ts';

export async function triggerParityRun(
  sql: Sql,
  queue: Env['INGEST_QUEUE'],
  parameters: ParityParameters,
  actor: Identity,
  /** The configured tolerance, to say whether this run is standard. */
  tolerance: number,
): Promise<StoredParityRun> {
  try {
    const execution = await enqueueExecution(
      sql,
      queue,
      {
        kind: 'parity_check',
        triggerSource: `api:${describeIdentity(actor)}`,
        parameters,
        concurrencyKey: 'parity_check',
      },
      { actor, kind: 'parity_check.trigger' },
    );
    const run = await findParityRun(sql, execution.procedure_execution_id, tolerance);
    if (!run) throw new Error(`parity run ${execution.procedure_execution_id} vanished after it was recorded`);
    return run;
  } catch (error) {
    if (error instanceof ExecutionConflictError) {
      throw conflict('a parity run is already queued or running; wait for it to finish');
    }
    throw error;
  }
}
