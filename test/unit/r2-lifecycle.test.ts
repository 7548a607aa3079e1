/** The R2 archive's lifecycle rule that `npm run deploy` sets (scripts/lib/r2-lifecycle.ts). */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../scripts/lib/migrations.ts';
import { ARCHIVE_RULE_ID, archiveLifecycle } from '../../scripts/lib/r2-lifecycle.ts';

const INGEST_CONFIG = join(PROJECT_ROOT, 'workers/ingest/wrangler.toml');

describe('the R2 archive lifecycle rule', () => {
  it('expires raw exports after 400 days in staging and production, on their own buckets', async () => {
    for (const environment of ['staging', 'production']) {
      const lifecycle = await archiveLifecycle(INGEST_CONFIG, environment);
      expect(lifecycle).toEqual({
        bucket: `shopify-raw-archive-${environment}`,
        days: 400,
        policy: {
          rules: [
            {
              id: ARCHIVE_RULE_ID,
              enabled: true,
              conditions: { prefix: '' },
              deleteObjectsTransition: { condition: { type: 'Age', maxAge: 400 * 86_400 } },
            },
          ],
        },
      });
    }
  });

  it('takes the days from the environment, and refuses a bad value', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'lifecycle-config-'));
    try {
      const config = join(folder, 'wrangler.toml');
      const text = await readFile(INGEST_CONFIG, 'utf8');
      await writeFile(
        config,
        text.replaceAll('RAW_ARCHIVE_RETENTION_DAYS = "400"', 'RAW_ARCHIVE_RETENTION_DAYS = "500"'),
      );
      expect((await archiveLifecycle(config, 'staging')).days).toBe(500);
      await writeFile(
        config,
        text.replaceAll('RAW_ARCHIVE_RETENTION_DAYS = "400"', 'RAW_ARCHIVE_RETENTION_DAYS = "0"'),
      );
      await expect(archiveLifecycle(config, 'staging')).rejects.toThrow(/RAW_ARCHIVE_RETENTION_DAYS/);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });
});
