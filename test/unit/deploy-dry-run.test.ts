import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../scripts/lib/migrations.ts';

const run = promisify(execFile);
const wrangler = join(PROJECT_ROOT, 'node_modules/.bin/wrangler');

const WORKERS = [
  { name: 'dashboard-api', config: 'wrangler.toml' },
  { name: 'ingest', config: 'workers/ingest/wrangler.toml' },
];

describe('wrangler deploy --dry-run', () => {
  for (const worker of WORKERS) {
    for (const environment of ['staging', 'production']) {
      it(`bundles ${worker.name} for ${environment} with every binding`, async () => {
        const { stdout } = await run(
          wrangler,
          [
            'deploy',
            '--dry-run',
            '--config',
            worker.config,
            '--env',
            environment,
            '--outdir',
            join('/tmp', `dry-${worker.name}-${environment}`),
          ],
          { cwd: PROJECT_ROOT, env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: 'true' } },
        );
        for (const binding of ['HYPERDRIVE', 'LEGACY_HYPERDRIVE', 'RAW_ARCHIVE', 'INGEST_QUEUE']) {
          expect(stdout).toContain(`env.${binding}`);
        }
        expect(stdout).toContain(`"${environment}"`);
        expect(stdout).toContain('--dry-run: exiting now.');
      });
    }
  }

  it('fails on a broken config', async () => {
    await expect(
      run(wrangler, ['deploy', '--dry-run', '--config', 'wrangler.toml', '--env', 'nowhere'], {
        cwd: PROJECT_ROOT,
        env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: 'true' },
      }),
    ).rejects.toThrow();
  });
});
