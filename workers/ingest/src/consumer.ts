/**
 * The queue consumer: each message names a recorded ProcedureExecution. A message for an
 * execution that is already finished is acknowledged and does nothing (at-least-once delivery).
 * A message that cannot be parsed or run is retried; on its last delivery (max_retries) the
 * execution it names is recorded as failed with the cause before the message goes to the
 * dead-letter queue, so nothing is left queued or "running" without a reason. The dead-letter
 * queue's consumer records what the last delivery could not (the database was down).
 */

import { driverError } from '#shared/db/postgres-errors.ts';
import { withDatabase } from '../../shared/db/client.ts';
import type { Env } from '../../shared/env.ts';
import { log, withLogContext } from '../../shared/logging.ts';
import { recordDeadLetter as recordDeadLetterOnExecution } from '../../shared/procedures/dead-letters.ts';
import { describeError, failExecution } from '../../shared/procedures/execution.ts';
import { INGEST_QUEUE_MAX_RETRIES, type IngestMessage, ingestMessageSchema } from '../../shared/procedures/messages.ts';
import { PROCEDURES } from '../../shared/procedures/registry.ts';
import { runProcedureExecution } from '../../shared/procedures/runner.ts';
import { uuidSchema } from '../../shared/uuid.ts';
import { ingestConfig } from './config.ts';

/** Backoff between deliveries of a message whose step could not run (20 s, 40 s, … 5 min). */
function redeliveryDelaySeconds(attempts: number): number {
  return Math.min(300, 10 * 2 ** attempts);
}

/**
 * Backoff after a step was interrupted by a transient database error and given back (5 s, 10 s,
 * … 80 s): the give-back itself reached the database, so it is answering again.
 */
function retryAfterTransientErrorSeconds(attempts: number): number {
  return Math.min(300, 5 * 2 ** (attempts - 1));
}

/**
 * The test environment may cap the backoffs above (INGEST_RETRY_DELAY_CAP_SECONDS), so a test can
 * see a message through all its deliveries into the dead-letter queue in seconds.
 */
function backoff(env: Env, seconds: number): number {
  const cap = ingestConfig.read(env, 'retryDelayCap');
  return cap === null ? seconds : Math.min(seconds, cap);
}

/** The execution a message names, even when the rest of it is malformed. */
function namedExecutionId(body: unknown): string | null {
  const id = (body as { procedureExecutionId?: unknown } | null)?.procedureExecutionId;
  const parsed = uuidSchema.safeParse(id);
  return parsed.success ? parsed.data : null;
}

/**
 * The last delivery of a message that still cannot be run: record the execution as failed with
 * the cause (when the database answers), then let the queue move the message to the DLQ.
 */
async function recordDeadLetter(
  env: Env,
  ctx: ExecutionContext,
  message: Message<unknown>,
  executionId: string | null,
  cause: string,
): Promise<void> {
  const text = `${cause} (gave up after ${message.attempts} deliveries of queue message ${message.id}; it went to the dead-letter queue)`;
  log.error('queue message dead-lettered', {
    procedure_execution_id: executionId,
    queue_message_id: message.id,
    delivery_attempt: message.attempts,
    error: text,
  });
  if (!executionId) return;
  try {
    await withDatabase(env.HYPERDRIVE, ctx, (database) => failExecution(database.sql, executionId, text));
  } catch (error) {
    log.error('could not record the dead-lettered execution as failed', {
      procedure_execution_id: executionId,
      error: describeError(error),
    });
  }
}

export async function consumeIngestBatch(
  batch: MessageBatch<IngestMessage>,
  env: Env,
  ctx: ExecutionContext,
): Promise<void> {
  ingestConfig.read(env, 'worker');
  for (const message of batch.messages) {
    const lastDelivery = message.attempts > INGEST_QUEUE_MAX_RETRIES;
    const parsed = ingestMessageSchema.safeParse(message.body);
    if (!parsed.success) {
      log.error('poison message: not an ingest message', { message_id: message.id, attempts: message.attempts });
      if (lastDelivery) {
        await recordDeadLetter(
          env,
          ctx,
          message,
          namedExecutionId(message.body),
          `the queue message is not an ingest message: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ')}`,
        );
      }
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
            runProcedureExecution({ procedures: PROCEDURES, database, env, ctx, procedureExecutionId, step }),
          ),
      );
      if (outcome.kind === 'ran' || outcome.kind === 'skipped') {
        message.ack();
      } else if (lastDelivery) {
        await recordDeadLetter(
          env,
          ctx,
          message,
          procedureExecutionId,
          outcome.kind === 'retry'
            ? outcome.cause
            : `step ${step ?? '?'} never finished: the consumer running it was killed or timed out on every delivery`,
        );
        message.retry();
      } else if (outcome.kind === 'busy') {
        message.retry({ delaySeconds: outcome.retryAfterSeconds });
      } else {
        message.retry({ delaySeconds: backoff(env, retryAfterTransientErrorSeconds(message.attempts)) });
      }
    } catch (error) {
      // The runner records failures on the execution itself; reaching here means the database
      // itself was unreachable, so let the queue retry with its backoff.
      const cause = driverError(error);
      log.error('procedure execution could not be run; retrying', {
        procedure_execution_id: procedureExecutionId,
        error: cause instanceof Error ? cause.message : String(cause),
      });
      if (lastDelivery) await recordDeadLetter(env, ctx, message, procedureExecutionId, describeError(error));
      message.retry({ delaySeconds: backoff(env, redeliveryDelaySeconds(message.attempts)) });
    }
  }
}

/** The dead-letter queues (ingest-jobs-dlq, ingest-jobs-staging-dlq, …) end in -dlq. */
export function isDeadLetterQueue(queue: string): boolean {
  return queue.endsWith('-dlq');
}

/**
 * The dead-letter queue's consumer: each message is one the ingest queue gave up on. The execution
 * it names is failed with the cause (if the last delivery could not record it) and an alert-level
 * line is logged. A database that still does not answer: retried (the DLQ has its own retries).
 */
export async function consumeDeadLetterBatch(
  batch: MessageBatch<unknown>,
  env: Env,
  ctx: ExecutionContext,
): Promise<void> {
  ingestConfig.read(env, 'worker');
  for (const message of batch.messages) {
    const id = namedExecutionId(message.body);
    if (!id) {
      log.error('dead letter names no execution', { alert: true, queue: batch.queue, queue_message_id: message.id });
      message.ack();
      continue;
    }
    const step = (message.body as { step?: unknown }).step;
    try {
      await withDatabase(env.HYPERDRIVE, ctx, (database) =>
        recordDeadLetterOnExecution(database.sql, env.INGEST_QUEUE, {
          procedureExecutionId: id,
          step: typeof step === 'number' && Number.isInteger(step) && step >= 0 ? step : undefined,
        }),
      );
      message.ack();
    } catch (error) {
      log.error('dead letter could not be recorded; retrying', {
        alert: true,
        procedure_execution_id: id,
        error: describeError(error),
      });
      message.retry({ delaySeconds: redeliveryDelaySeconds(message.attempts) });
    }
  }
}
