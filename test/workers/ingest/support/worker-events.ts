/** The ingest Worker's events as Cloudflare makes them: one HTTP request, one delivery of a queue message, one cron run. */

import {
  createExecutionContext,
  createMessageBatch,
  createScheduledController,
  getQueueResult,
  waitOnExecutionContext,
} from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import type { Env } from '#shared/env.ts';
import type { IngestMessage } from '#shared/procedures/messages.ts';
import worker from '#workers/ingest/src/index.ts';

const bindings = env as unknown as Env;

/** Delivers `message` once, as its `attempts`-th delivery; answers what the consumer acked or retried. */
export async function deliverOnce(message: IngestMessage, attempts: number, withEnv: Env = bindings) {
  const batch = createMessageBatch<IngestMessage>('ingest-jobs', [
    { id: `m-${crypto.randomUUID()}`, timestamp: new Date(), attempts, body: message },
  ]);
  const ctx = createExecutionContext();
  await worker.queue(batch, withEnv, ctx);
  return getQueueResult(batch, ctx);
}

/** Runs the Worker's scheduled handler for `cron` now, and waits for what it left running. */
export async function runCron(cron: string, withEnv: Env = bindings): Promise<void> {
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ cron, scheduledTime: Date.now() }), withEnv, ctx);
  await waitOnExecutionContext(ctx);
}

/** Sends `request` to the Worker's fetch handler, and waits for what it left running. */
export async function fetchOnce(request: Request, withEnv: Env = bindings): Promise<Response> {
  const ctx = createExecutionContext();
  const response = await worker.fetch(request, withEnv, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}
