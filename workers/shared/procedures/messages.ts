/**
 * What travels on the ingest queue: only the id of a recorded ProcedureExecution. Its parameters
 * and checkpoint live in procedure_execution, so a redelivered or duplicated message finds the
 * recorded state and changes nothing that is already done (queues are at-least-once).
 */
import { z } from 'zod';

export const ingestMessageSchema = z.object({
  procedureExecutionId: z.uuid(),
  /**
   * The step this message is for (procedure_execution.step_count when it was sent). A message for
   * a step the execution has already taken is stale and acknowledged without work, so a duplicated
   * continue message, a finish webhook racing a poll, or a child's nudge never runs a step twice.
   * Absent: any step.
   */
  step: z.number().int().nonnegative().optional(),
});

export type IngestMessage = z.infer<typeof ingestMessageSchema>;

/**
 * The ingest queue's `max_retries` (workers/ingest/wrangler.toml, every environment; a unit test
 * keeps them equal): a message is delivered at most this + 1 times, then it goes to the
 * dead-letter queue. The consumer records the execution's failure on that last delivery.
 */
export const INGEST_QUEUE_MAX_RETRIES = 5;
