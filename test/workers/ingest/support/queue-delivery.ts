/** One delivery of an ingest message to the Worker's queue consumer, as the queue would make it. */

import { createExecutionContext, createMessageBatch, getQueueResult } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import type { Env } from '#shared/env.ts';
import type { IngestMessage } from '#shared/procedures/messages.ts';
import worker from '#workers/ingest/src/index.ts';

/** Delivers `message` once, as its `attempts`-th delivery; answers what the consumer acked or retried. */
export async function deliverOnce(message: IngestMessage, attempts: number, withEnv: Env = env as unknown as Env) {
  const batch = createMessageBatch<IngestMessage>('ingest-jobs', [
    { id: `m-${crypto.randomUUID()}`, timestamp: new Date(), attempts, body: message },
  ]);
  const ctx = createExecutionContext();
  await worker.queue(batch, withEnv, ctx);
  return getQueueResult(batch, ctx);
}
