/**
 * Where the benchmark's databases live: scratch databases it creates and drops itself, on the
 * servers named by DATABASE_URL (new side) and LEGACY_DATABASE_URL (legacy side; default: the
 * DATABASE_URL server), or on a throwaway embedded Postgres when DATABASE_URL is not set. The
 * databases named by those variables are never written to: every measurement starts from a fresh
 * copy of a template (the migrated new schema, or the vendored legacy schema), so a run never
 * sees the rows of another.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { startLocalPostgres } from '../lib/local-postgres.ts';
import { migrate, PROJECT_ROOT } from '../lib/migrations.ts';
import { databaseName, withDatabase } from '../lib/postgres-url.ts';

export const LEGACY_SCHEMA = join(PROJECT_ROOT, 'test/fixtures/legacy-schema.sql');

export type SchemaKind = 'new' | 'legacy';

export interface ScratchDatabases {
  /** Whether the server is the throwaway embedded one (fsync off). */
  embedded: boolean;
  /** A fresh, empty database with the schema of `kind`; returns its URL. */
  create(kind: SchemaKind, label: string): Promise<string>;
  /** Drops one database made by `create` (connections to it are ended by force). */
  drop(url: string): Promise<void>;
  /** Drops everything this made and stops the embedded server, if any. */
  close(): Promise<void>;
}

async function onServer(adminUrl: string, statement: string): Promise<void> {
  const sql = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    await sql.unsafe(statement);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/**
 * The throwaway server's buffer cache, production-sized rather than Postgres's 128 MB default (a
 * managed instance gives it about a quarter of its memory): at 1 M orders the raw tables outgrow
 * 128 MB, and every side (legacy, new, COPY) then reads a page from disk for most rows it writes
 * in random key order (0.6 blocks a row against 0.02 at 200 k, measured).
 */
export const BENCH_SERVER_SETTINGS = { shared_buffers: '1GB' };

/** Opens the servers and builds the two templates. */
export async function openScratchDatabases(): Promise<ScratchDatabases> {
  let dataDir: string | undefined;
  let server: Awaited<ReturnType<typeof startLocalPostgres>> | undefined;
  let newAdmin = process.env.DATABASE_URL ? withDatabase(process.env.DATABASE_URL, 'postgres') : undefined;
  if (!newAdmin) {
    dataDir = await mkdtemp(join(tmpdir(), 'bench-pg-'));
    server = await startLocalPostgres({ dataDir, persistent: false, settings: BENCH_SERVER_SETTINGS });
    newAdmin = server.adminUrl;
  }
  const legacyAdmin = process.env.LEGACY_DATABASE_URL
    ? withDatabase(process.env.LEGACY_DATABASE_URL, 'postgres')
    : newAdmin;
  const admins: Record<SchemaKind, string> = { new: newAdmin, legacy: legacyAdmin };
  const prefix = `bench_${process.pid}_${Date.now().toString(36)}`;
  const templates: Record<SchemaKind, string> = { new: `${prefix}_new_template`, legacy: `${prefix}_legacy_template` };
  /** database name → the side whose server holds it */
  const made = new Map<string, SchemaKind>();

  const createDatabase = async (kind: SchemaKind, name: string, template?: string) => {
    await onServer(admins[kind], `create database "${name}"${template ? ` template "${template}"` : ''}`);
    made.set(name, kind);
    return withDatabase(admins[kind], name);
  };
  const dropDatabase = async (name: string) => {
    const kind = made.get(name);
    if (!kind) return;
    await onServer(admins[kind], `drop database if exists "${name}" with (force)`);
    made.delete(name);
  };

  const scratch: ScratchDatabases = {
    embedded: server !== undefined,
    create: (kind, label) => createDatabase(kind, `${prefix}_${label}`, templates[kind]),
    drop: (url) => dropDatabase(databaseName(url)),
    async close() {
      for (const name of [...made.keys()].reverse()) await dropDatabase(name).catch(() => {});
      await server?.stop();
      if (dataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };

  try {
    const newTemplate = await createDatabase('new', templates.new);
    await migrate(newTemplate, { quiet: true });
    const legacyTemplate = await createDatabase('legacy', templates.legacy);
    const legacy = postgres(legacyTemplate, { max: 1, onnotice: () => {} });
    await legacy.file(LEGACY_SCHEMA).finally(() => legacy.end({ timeout: 5 }));
  } catch (error) {
    await scratch.close();
    throw error;
  }
  return scratch;
}
