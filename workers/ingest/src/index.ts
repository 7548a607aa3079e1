/**
 * The ingest Worker: Cron Triggers and HTTP entry points record ProcedureExecutions and enqueue
 * them; the queue consumer runs them with the PROCEDURES registry. A thin shell: the work lives in
 * workers/shared/procedures (registry.ts names the step of each kind).
 */
import type { IngestMessage } from '../../shared/procedures/messages.ts';
import { createIngestApp } from './app.ts';
import { consumeDeadLetterBatch, consumeIngestBatch, isDeadLetterQueue } from './consumer.ts';
import { runScheduled } from './scheduled.ts';

const app = createIngestApp();

export default {
  fetch: app.fetch,
  queue: (batch, env, ctx) =>
    isDeadLetterQueue(batch.queue) ? consumeDeadLetterBatch(batch, env, ctx) : consumeIngestBatch(batch, env, ctx),
  scheduled: (controller, env, ctx) => runScheduled(controller, env, ctx),
} satisfies ExportedHandler<IngestEnv, IngestMessage>;
