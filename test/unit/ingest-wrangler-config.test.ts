/**
 * workers/ingest/wrangler.toml, read by wrangler's own config reader (a TOML parser, not a regex),
 * against the code that depends on it, in every environment:
 * - the Cron Triggers are exactly CRONS (workers/ingest/src/schedules.ts), their one source;
 * - the queue consumer retries INGEST_QUEUE_MAX_RETRIES times and then dead-letters: the consumer
 *   recognises a message's last delivery by that number and records the execution's failure;
 * - the Worker consumes each dead-letter queue too (it fails the execution a dead letter names).
 */

import { describe, expect, it } from 'vitest';
import { experimental_readRawConfig } from 'wrangler';
import { PROJECT_ROOT } from '../../scripts/lib/migrations.ts';
import { CRONS } from '../../workers/ingest/src/schedules.ts';
import { INGEST_QUEUE_MAX_RETRIES } from '../../workers/shared/procedures/messages.ts';

interface IngestEnvironment {
  triggers?: { crons?: string[] };
  queues?: { consumers?: { queue: string; max_retries?: number; dead_letter_queue?: string }[] };
}

function environments(): Record<string, IngestEnvironment> {
  const { rawConfig } = experimental_readRawConfig({ config: `${PROJECT_ROOT}workers/ingest/wrangler.toml` });
  const { env, ...development } = rawConfig as IngestEnvironment & { env?: Record<string, IngestEnvironment> };
  expect(Object.keys(env ?? {}).sort()).toEqual(['production', 'staging']);
  return { development, ...env };
}

describe('workers/ingest/wrangler.toml', () => {
  it('schedules exactly the Cron Triggers of CRONS (SCHEDULES and the retention), in every environment', () => {
    const all = environments();
    for (const [name, environment] of Object.entries(all)) {
      // [triggers] is inherited from the top level when an environment leaves it out.
      const crons = environment.triggers?.crons ?? all.development?.triggers?.crons;
      expect([...(crons ?? [])].sort(), name).toEqual([...CRONS].sort());
    }
  });

  it('retries a queue message INGEST_QUEUE_MAX_RETRIES times and then moves it to a dead-letter queue, in every environment', () => {
    for (const [name, environment] of Object.entries(environments())) {
      const work = (environment.queues?.consumers ?? []).filter((consumer) => !consumer.queue.endsWith('-dlq'));
      expect(work, name).toHaveLength(1);
      for (const consumer of work) {
        expect(consumer.max_retries, name).toBe(INGEST_QUEUE_MAX_RETRIES);
        expect(consumer.dead_letter_queue, name).toBe(`${consumer.queue}-dlq`);
      }
    }
  });

  it('consumes each environment’s dead-letter queue in the ingest Worker (it fails the execution a dead letter names)', () => {
    for (const [name, environment] of Object.entries(environments())) {
      const consumers = environment.queues?.consumers ?? [];
      const deadLetterQueues = consumers.map((consumer) => consumer.dead_letter_queue).filter(Boolean);
      expect(deadLetterQueues, name).toHaveLength(1);
      expect(
        consumers.filter((consumer) => consumer.queue.endsWith('-dlq')).map((consumer) => consumer.queue),
        name,
      ).toEqual(deadLetterQueues);
    }
  });
});
