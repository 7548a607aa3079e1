/**
 * The consumer records a dead-lettered execution's failure on the message's last delivery, which
 * it recognises by INGEST_QUEUE_MAX_RETRIES: every environment's queue consumer must retry exactly
 * that often and have a dead-letter queue.
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { INGEST_QUEUE_MAX_RETRIES } from '../../workers/shared/procedures/messages.ts';

describe('workers/ingest/wrangler.toml queue consumers', () => {
  it('retry INGEST_QUEUE_MAX_RETRIES times and then move the message to a dead-letter queue, in every environment', async () => {
    const toml = await readFile(new URL('../../workers/ingest/wrangler.toml', import.meta.url), 'utf8');
    const consumers = toml.split(/^\[\[(?:env\.\w+\.)?queues\.consumers\]\]$/m).slice(1);
    expect(consumers).toHaveLength(3);
    for (const consumer of consumers) {
      const block = consumer.slice(0, consumer.search(/^\[/m) === -1 ? undefined : consumer.search(/^\[/m));
      expect(block).toMatch(new RegExp(`^max_retries = ${INGEST_QUEUE_MAX_RETRIES}$`, 'm'));
      expect(block).toMatch(/^dead_letter_queue = "ingest-jobs(-\w+)?-dlq"$/m);
    }
  });
});
