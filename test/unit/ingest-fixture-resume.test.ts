/**
 * `npm run ingest:fixture` follows a full sync an earlier run left unfinished instead of refusing
 * (issue: the second run failed with "the cron did not record a full sync"). A full sync of a
 * small generated store is killed mid-way with SIGKILL to the CLI's whole process group (the
 * Worker, its queue state and the simulator go with it); the CLI is run again on the same
 * database and must finish that same sync with the rows and the mart of a clean run.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sql } from '#shared/db/types.ts';
import { writeStoreFixture } from '../../scripts/store-generator/fixture-folder.ts';
import { newMartRows } from '../support/marts-oracle.ts';
import { createTestDatabase, type TestDatabase } from '../support/node-databases.ts';
import { RAW_LEGACY_TABLES, rawRows } from '../workers/ingest/support/raw-tables.ts';

const CLI = fileURLToPath(new URL('../../scripts/ingest-fixture.ts', import.meta.url));

let folder: string;
let killed: TestDatabase;
let clean: TestDatabase;

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'ingest-fixture-resume-'));
  await writeStoreFixture(folder, { seed: 68, products: 40, orders: 300, days: 30, shuffleChildren: true });
  [killed, clean] = await Promise.all([createTestDatabase('app'), createTestDatabase('app')]);
});
afterAll(async () => {
  await Promise.all([killed?.drop(), clean?.drop()]);
  await rm(folder, { recursive: true, force: true });
});

interface Run {
  child: ChildProcess;
  done: Promise<{ code: number | null; stdout: string; stderr: string }>;
}

/** The CLI in its own process group (as a terminal runs it), so the group can be killed at once. */
function ingestFixture(databaseUrl: string): Run {
  const child = spawn(process.execPath, [CLI, folder, '--timeout', '400'], {
    env: { ...process.env, DATABASE_URL: databaseUrl, LEGACY_DATABASE_URL: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
  });
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on('exit', (code) => resolve({ code, stdout, stderr })),
  );
  return { child, done };
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 240_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** What a sync leaves: every raw table (as the legacy shape) and the mart. */
async function rowsOf(sql: Sql): Promise<Record<string, string[]>> {
  const tables: Record<string, string[]> = {};
  for (const table of RAW_LEGACY_TABLES) tables[table] = await rawRows(sql, 'new', table);
  tables.mart_performance_metrics = (await newMartRows(sql)).map((row) => JSON.stringify(row));
  return tables;
}

describe('npm run ingest:fixture after a SIGKILL mid-sync', () => {
  it('follows the unfinished sync (lost messages re-sent, killed steps released) and ends with the rows and mart of a clean run', async () => {
    const first = ingestFixture(killed.url);
    // Mid-way: the products are in, the orders child is working.
    const syncId = await until('the orders child of the sync', async () => {
      const [row] = await killed.sql<{ parent: string }[]>`
        select parent_procedure_execution_id as parent from procedure_execution
        where procedure_kind = 'orders' and status in ('running', 'waiting')`;
      return row?.parent;
    });
    process.kill(-(first.child.pid as number), 'SIGKILL');
    const gone = await first.done;
    expect(gone.code, 'killed').toBeNull();
    const [left] = await killed.sql<{ status: string }[]>`
      select status from procedure_execution where procedure_execution_id = ${syncId}`;
    expect(['running', 'waiting']).toContain(left?.status);

    const second = await ingestFixture(killed.url).done;
    expect(second.code, second.stderr.slice(-4000)).toBe(0);
    expect(second.stderr).toContain(`following the full sync an earlier run left`);
    const summary = JSON.parse(second.stdout) as { sync: { procedure_execution_id: string; status: string } };
    expect(summary.sync).toMatchObject({ procedure_execution_id: syncId, status: 'succeeded' });
    const syncs = await killed.sql`select 1 from procedure_execution where procedure_kind = 'full'`;
    expect(syncs, 'the same sync finished: no second one').toHaveLength(1);

    const cleanRun = await ingestFixture(clean.url).done;
    expect(cleanRun.code, cleanRun.stderr.slice(-4000)).toBe(0);
    const expected = await rowsOf(clean.sql);
    expect(expected.orders?.length).toBeGreaterThan(0);
    expect(expected.mart_performance_metrics?.length).toBeGreaterThan(0);
    expect(await rowsOf(killed.sql)).toEqual(expected);
  }, 900_000);
});
