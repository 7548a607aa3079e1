/**
 * Every ProcedureExecution kind and the step that runs it, in one place: the ingest Worker hands
 * PROCEDURES to the runner, and a kind added to PROCEDURE_KINDS without a step is a type error.
 */
import { loadStep } from '../ingest/load.procedure.ts';
import { replayStep } from '../ingest/replay.procedure.ts';
import { fullSyncStep, ordersSyncStep, productsSyncStep } from '../ingest/sync.ts';
import { classifyStep, martsStep } from '../marts/marts.procedure.ts';
import { parityCheckStep } from '../parity/parity-check.procedure.ts';
import type { ProcedureRegistry } from './runner.ts';

export const PROCEDURES = {
  full: fullSyncStep,
  products: productsSyncStep,
  orders: ordersSyncStep,
  load: loadStep,
  replay: replayStep,
  marts: martsStep,
  classify: classifyStep,
  parity_check: parityCheckStep,
  // Kinds kept so /health lists them; their work runs inside the `orders` and `full` syncs.
  refunds: null,
  deletions: null,
} satisfies ProcedureRegistry;
