/**
 * What travels on the ingest queue: only the id of a recorded ProcedureExecution. Its parameters
 * and checkpoint live in procedure_execution, so a redelivered or duplicated message finds the
 * recorded state and changes nothing that is already done (queues are at-least-once).
 */
import { z } from 'zod';

export const ingestMessageSchema = z.object({
  procedureExecutionId: z.uuid(),
});

export type IngestMessage = z.infer<typeof ingestMessageSchema>;
