/**
 * The two connections the migration works over: the legacy database (source, only read) and the
 * new database (target). Both sessions render values the same way (UTC, ISO dates, every float
 * digit), so the COPY text one side writes is what the other reads, and checksums computed on
 * each side over `::text` renderings agree exactly when the values do.
 */
import { connect as connectSocket, type Socket } from 'node:net';
import postgres from 'postgres';
import type { Sql } from '#shared/db/types.ts';
import { ConfigurationError, redact, requireDatabaseUrl } from '../lib/postgres-url.ts';

export type { Queryable } from '#shared/db/types.ts';

export interface MigrationDatabases {
  legacy: Sql;
  target: Sql;
  legacyUrl: string;
  targetUrl: string;
  close(): Promise<void>;
}

const SESSION_SETTINGS = {
  application_name: 'migrate-legacy',
  TimeZone: 'UTC',
  DateStyle: 'ISO, YMD',
  IntervalStyle: 'postgres',
  extra_float_digits: '3',
  standard_conforming_strings: 'on',
  client_encoding: 'UTF8',
} as const;

/**
 * postgres.js leaves Nagle's algorithm on; COPY's small CopyDone after a CopyData then waits for the
 * server's delayed ACK (~40 ms a batch on Linux). A socket with TCP_NODELAY removes that wait.
 */
export function socketWithoutDelay(options: {
  host: string[];
  port: number[];
  path?: string | false;
}): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = options.path
      ? connectSocket({ path: options.path })
      : connectSocket({ host: options.host[0], port: options.port[0] ?? 5432, noDelay: true });
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

function connect(url: string): Sql {
  // `socket` is a documented postgres.js option its type definitions do not list.
  const options = { max: 4, onnotice: () => {}, connection: SESSION_SETTINGS, socket: socketWithoutDelay };
  return postgres(url, options as Parameters<typeof postgres>[1]);
}

export async function openMigrationDatabases(
  legacyUrl = requireDatabaseUrl('LEGACY_DATABASE_URL'),
  targetUrl = requireDatabaseUrl('DATABASE_URL'),
): Promise<MigrationDatabases> {
  const legacy = connect(legacyUrl);
  const target = connect(targetUrl);
  const close = async () => {
    await Promise.all([legacy.end({ timeout: 5 }), target.end({ timeout: 5 })]);
  };
  for (const [name, sql, url] of [
    ['LEGACY_DATABASE_URL', legacy, legacyUrl],
    ['DATABASE_URL', target, targetUrl],
  ] as const) {
    try {
      await sql`select 1`;
    } catch (error) {
      await close();
      throw new ConfigurationError(`cannot connect to ${name} (${redact(url)}): ${(error as Error).message}`);
    }
  }
  return { legacy, target, legacyUrl, targetUrl, close };
}
