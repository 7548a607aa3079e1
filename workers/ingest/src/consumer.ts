/**
 * The queue consumer: each message names a recorded ProcedureExecution. A message for an
 * execution that is already finished is acknowledged and does nothing (at-least-once delivery).
 * A message that cannot be parsed is retried until it lands in the dead-letter queue.
 */
import { withDatabase } from '../../shared/db/client.ts';
import { checkEnv, type Env } from '../../shared/env.ts';
import { log, withLogContext } from '../../shared/logging.ts';
import { type IngestMessage, ingestMessageSchema } from '../../shared/procedures/messages.ts';
import { runProcedureExecution } from '../../shared/procedures/runner.ts';

export async function consumeIngestBatch(
  batch: MessageBatch<IngestMessage>,
  env: Env,
  ctx: ExecutionContext,
): Promise<void> {
  checkEnv(env, ['HYPERDRIVE', 'RAW_ARCHIVE', 'INGEST_QUEUE']);
  for (const message of batch.messages) {
    const parsed = ingestMessageSchema.safeParse(message.body);
    if (!parsed.success) {
      log.error('poison message: not an ingest message', { message_id: message.id, attempts: message.attempts });
      message.retry();
      continue;
    }
    const { procedureExecutionId, step } = parsed.data;
    try {
      // Every line the execution's step logs carries its id and the delivery it came with.
      const outcome = await withLogContext(
        {
          procedure_execution_id: procedureExecutionId,
          queue_message_id: message.id,
          delivery_attempt: message.attempts,
        },
        () =>
          withDatabase(env.HYPERDRIVE, ctx, (database) =>
            runProcedureExecution({ database, env, ctx, procedureExecutionId, step }),
          ),
      );
      if (outcome.kind === 'busy') message.retry({ delaySeconds: outcome.retryAfterSeconds });
      else message.ack();
    } catch (error) {
      // The runner records failures on the execution itself; reaching here means the database
      // itself was unreachable, so let the queue retry with its backoff.
      log.error('procedure execution could not be run; retrying', {
        procedure_execution_id: procedureExecutionId,
        error: error instanceof Error ? error.message : String(error),
      });
      message.retry({ delaySeconds: Math.min(300, 10 * 2 ** message.attempts) });
    }
  }
}
