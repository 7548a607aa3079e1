/**
 * The consumer records a dead-lettered execution's failure on the message's last delivery, which
 * it recognises by INGEST_QUEUE_MAX_RETRIES: every environment's queue consumer must retry exactly
 * that often and have a dead-letter queue, and the ingest Worker consumes that dead-letter queue
 * too (it fails the execution a dead letter names).
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { INGEST_QUEUE_MAX_RETRIES } from '../../workers/shared/procedures/messages.ts';

async function consumerBlocks(): Promise<{ queue: string; block: string }[]> {
  const toml = await readFile(new URL('../../workers/ingest/wrangler.toml', import.meta.url), 'utf8');
  return toml
    .split(/^\[\[(?:env\.\w+\.)?queues\.consumers\]\]$/m)
    .slice(1)
    .map((consumer) => {
      const end = consumer.search(/^\[/m);
      const block = end === -1 ? consumer : consumer.slice(0, end);
      return { queue: block.match(/^queue = "([^"]+)"$/m)?.[1] ?? '', block };
    });
}

describe('workers/ingest/wrangler.toml queue consumers', () => {
  it('retry INGEST_QUEUE_MAX_RETRIES times and then move the message to a dead-letter queue, in every environment', async () => {
    const work = (await consumerBlocks()).filter((c) => !c.queue.endsWith('-dlq'));
    expect(work.map((c) => c.queue)).toEqual(['ingest-jobs', 'ingest-jobs-staging', 'ingest-jobs-production']);
    for (const { block } of work) {
      expect(block).toMatch(new RegExp(`^max_retries = ${INGEST_QUEUE_MAX_RETRIES}$`, 'm'));
      expect(block).toMatch(/^dead_letter_queue = "ingest-jobs(-\w+)?-dlq"$/m);
    }
  });

  it('consume each environment’s dead-letter queue in the ingest Worker', async () => {
    const consumers = await consumerBlocks();
    const deadLetterQueues = consumers
      .map((c) => c.block.match(/^dead_letter_queue = "([^"]+)"$/m)?.[1])
      .filter((queue): queue is string => Boolean(queue));
    expect(deadLetterQueues).toHaveLength(3);
    expect(consumers.filter((c) => c.queue.endsWith('-dlq')).map((c) => c.queue)).toEqual(deadLetterQueues);
  });
});
