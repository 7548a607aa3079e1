/**
 * Runs inside workerd before each Workers test file: re-creates the project's databases from the
 * templates, so every file starts from a freshly migrated, empty database (and an empty legacy
 * one) that its Hyperdrive bindings point at.
 */
import postgres from 'postgres';
import '../../workers/shared/db/postgres-close-workaround.ts';
import { beforeAll } from 'vitest';
import { APP_TEMPLATE, LEGACY_TEMPLATE } from '../support/test-databases.ts';
import { directHyperdrive } from './support/test-sql.ts';

function connectionStringFor(hyperdrive: Hyperdrive, database: string): string {
  const url = new URL(hyperdrive.connectionString);
  url.pathname = `/${database}`;
  return url.toString();
}

async function recloneFromTemplate(hyperdrive: Hyperdrive, template: string): Promise<void> {
  const admin = postgres(connectionStringFor(hyperdrive, 'postgres'), {
    max: 1,
    fetch_types: false,
    onnotice: () => {},
  });
  try {
    await admin.unsafe(`drop database if exists "${hyperdrive.database}" with (force)`);
    await admin.unsafe(`create database "${hyperdrive.database}" template "${template}"`);
  } finally {
    await admin.end({ timeout: 5 });
  }
}

beforeAll(async () => {
  await recloneFromTemplate(directHyperdrive('app'), APP_TEMPLATE);
  await recloneFromTemplate(directHyperdrive('legacy'), LEGACY_TEMPLATE);
});
