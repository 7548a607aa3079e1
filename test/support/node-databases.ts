/**
 * Node-side tests get their own databases cloned from the templates the global setup built, so
 * test files run in parallel without seeing each other's rows.
 */
import postgres from 'postgres';
import { inject } from 'vitest';
import type { Sql } from '#shared/db/types.ts';
import { withDatabase } from '../../scripts/lib/postgres-url.ts';
import { APP_TEMPLATE, LEGACY_TEMPLATE } from './test-databases.ts';

export interface TestDatabase {
  url: string;
  sql: Sql;
  drop(): Promise<void>;
}

let counter = 0;

export async function createTestDatabase(kind: 'app' | 'legacy' | 'empty' = 'app'): Promise<TestDatabase> {
  const adminUrl = inject('postgresAdminUrl');
  const name = `test_${kind}_${process.pid}_${Date.now().toString(36)}_${counter++}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  const template = kind === 'app' ? APP_TEMPLATE : kind === 'legacy' ? LEGACY_TEMPLATE : 'template0';
  try {
    await admin.unsafe(`create database "${name}" template "${template}"`);
  } finally {
    await admin.end();
  }
  const url = withDatabase(adminUrl, name);
  const sql = postgres(url, { max: 4, onnotice: () => {} });
  return {
    url,
    sql,
    async drop() {
      await sql.end({ timeout: 5 });
      const again = postgres(adminUrl, { max: 1, onnotice: () => {} });
      try {
        await again.unsafe(`drop database if exists "${name}" with (force)`);
      } finally {
        await again.end();
      }
    },
  };
}
