/**
 * A stand-in consumer of the ingest dead-letter queue for the ingest Workers tests (an auxiliary
 * Worker in vitest.config.ts): it keeps every message the queue moved there, in memory, and
 * answers them as JSON through the DEAD_LETTER_OBSERVER service binding, so a test can see that a
 * poison message really ended in the DLQ. Production has no consumer on the DLQ: operators read it.
 */
export const DEAD_LETTER_QUEUE = 'ingest-jobs-dlq';

export const deadLetterObserverWorker = {
  name: 'dead-letter-observer',
  modules: true,
  compatibilityDate: '2026-11-01',
  script: `
    const received = [];
    export default {
      async queue(batch) {
        for (const message of batch.messages) {
          received.push({ queue: batch.queue, id: message.id, body: message.body, attempts: message.attempts });
          message.ack();
        }
      },
      async fetch() {
        return Response.json(received);
      },
    };
  `,
  queueConsumers: { [DEAD_LETTER_QUEUE]: { maxBatchTimeout: 1 } },
};
