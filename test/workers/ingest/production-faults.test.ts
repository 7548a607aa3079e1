/**
 * Faults production adds to the matrix of *-faults.test.ts (RELIABILITY.md), each injected into a
 * real run inside workerd and compared with a clean run of the same store (the legacy functions):
 *
 * - Hyperdrive refusing a connection (its pool exhausted): Postgres answers SQLSTATE 53300 "too
 *   many connections" — here for a role whose CONNECTION LIMIT is 0, reached through a copy of the
 *   Hyperdrive binding that logs in as it. The message is retried and the step runs once the pool
 *   has room.
 * - A queue message delayed past the lease: a step still running (its backend waiting in a
 *   statement) whose lease runs out, then its message again: a second consumer takes over while
 *   the first is still alive, and the two must not lose or duplicate a row.
 *
 * More rows (a stale cached read, a step out of CPU, an isolate dying mid-upload, a database down
 * past every retry) land with the features they exercise; tagged `fault`, they are counted by
 * `npm run reliability:report` as soon as they exist.
 */
import { env } from 'cloudflare:workers';
import postgres from 'postgres';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { generateStore } from '#scripts/store-generator/generate.ts';
import type { Sql } from '#shared/db/types.ts';
import type { Env } from '#shared/env.ts';
import { recordExecution } from '#shared/procedures/execution.ts';
import { recordFault } from '../../support/reliability.ts';
import { openTestSql } from '../support/test-sql.ts';
import { archiveLines } from './support/archived-lines.ts';
import { waitForExecution } from './support/executions.ts';
import { expectProductTablesOfTheStore } from './support/store-checks.ts';
import { deliverOnce } from './support/worker-events.ts';

const bindings = env as unknown as Env;
let sql: Sql;
let legacy: Sql;

const EXHAUSTED_ROLE = 'reliability_pool_exhausted';

beforeAll(async () => {
  sql = openTestSql('app', { max: 3 });
  legacy = openTestSql('legacy');
  await sql.unsafe(`do $$ begin
      if not exists (select from pg_roles where rolname = '${EXHAUSTED_ROLE}') then
        create role ${EXHAUSTED_ROLE} login password 'exhausted' connection limit 0;
      end if;
    end $$`);
});
afterAll(async () => {
  await sql.end({ timeout: 5 });
  await legacy.end({ timeout: 5 });
});
beforeEach(async () => {
  await sql`truncate material_artifact, act_of_sale, media_content_entity, tag_designation, quarantined_line,
            ingest_staged_object, information_bearing_entity, procedure_execution cascade`;
  await legacy`truncate products, orders, assets, tags cascade`;
});

/** Backends waiting on a lock `holderPid` holds (the Worker's statements, blocked where the test wants). */
async function backendsBlockedBy(holderPid: number, count: number, timeoutMs = 45_000): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const blocked = await sql<{ pid: number }[]>`
      select pid from pg_stat_activity where ${holderPid}::int = any(pg_blocking_pids(pid)) order by pid`;
    if (blocked.length >= count) return blocked.map((b) => b.pid);
    if (Date.now() > deadline) throw new Error(`${blocked.length} of ${count} statements came to wait on the lock`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('production faults', () => {
  it('fault: Hyperdrive refuses the connection (pool exhausted: 53300 too many connections) — the message is retried and the step runs once there is room', {
    tags: ['fault'],
  }, async () => {
    const store = generateStore({ seed: 71, products: 20, orders: 0, shuffleChildren: true });
    const entity = await archiveLines(sql, bindings.RAW_ARCHIVE, 'products', store.fixture.products);
    const execution = await recordExecution(sql, {
      kind: 'load',
      triggerSource: 'test',
      parameters: { information_bearing_entity_id: entity.information_bearing_entity_id },
    });
    const id = execution.procedure_execution_id;
    const url = new URL(bindings.HYPERDRIVE.connectionString);
    url.username = EXHAUSTED_ROLE;
    url.password = 'exhausted';
    const exhausted = {
      connectionString: url.toString(),
      host: bindings.HYPERDRIVE.host,
      port: bindings.HYPERDRIVE.port,
      user: EXHAUSTED_ROLE,
      password: 'exhausted',
      database: bindings.HYPERDRIVE.database,
      connect: () => bindings.HYPERDRIVE.connect(),
    } as unknown as Hyperdrive;

    // what a connection through it gets: refused by the server
    const probe = postgres(exhausted.connectionString, { max: 1, fetch_types: false, onnotice: () => {} });
    const refusal = (await probe`select 1`.catch((error: unknown) => error)) as { code?: string; message?: string };
    await probe.end({ timeout: 1 }).catch(() => {});
    expect(refusal.code, String(refusal.message)).toBe('53300');

    const refused = await deliverOnce({ procedureExecutionId: id, step: 0 }, 1, { ...bindings, HYPERDRIVE: exhausted });
    const [untouched] =
      await sql`select status, attempt_count from procedure_execution where procedure_execution_id = ${id}`;
    recordFault(
      'Hyperdrive refusing a connection (pool exhausted)',
      `the consumer's HYPERDRIVE logs in as ${EXHAUSTED_ROLE} (CONNECTION LIMIT 0)`,
      `server answered ${refusal.code} "${refusal.message}"; message retried ${refused.retryMessages.length}, acknowledged ${refused.explicitAcks.length}; execution ${untouched?.status}, ${untouched?.attempt_count} claims`,
    );
    expect(refused.retryMessages, 'refused: the message is retried').toHaveLength(1);
    expect(refused.explicitAcks).toEqual([]);
    expect(untouched).toEqual({ status: 'queued', attempt_count: 0 });

    // the pool has room again: the redelivery runs the step (its next steps go through the queue)
    const redelivered = await deliverOnce({ procedureExecutionId: id, step: 0 }, 2);
    expect(redelivered.explicitAcks).toHaveLength(1);
    const done = await waitForExecution(sql, id, { timeoutMs: 60_000 });
    expect(done.status, done.error_text ?? '').toBe('succeeded');
    await expectProductTablesOfTheStore(legacy, sql, store);
  });

  it('fault: a queue message delayed past the lease of a step still running — a second consumer takes over, and no row is lost or duplicated', {
    tags: ['fault'],
  }, async () => {
    const store = generateStore({ seed: 72, products: 60, orders: 0, shuffleChildren: true });
    const entity = await archiveLines(sql, bindings.RAW_ARCHIVE, 'products', store.fixture.products);
    expect(entity.segment_index.length).toBeGreaterThan(4);
    const execution = await recordExecution(sql, {
      kind: 'load',
      triggerSource: 'test',
      parameters: { information_bearing_entity_id: entity.information_bearing_entity_id },
    });
    const id = execution.procedure_execution_id;
    // An uncommitted row under the first line of segment 4: the running step waits there.
    const line = entity.segment_index[3]?.[2] as number;
    const holder = await sql.reserve();
    let first: Promise<unknown> | undefined;
    let second: Promise<unknown> | undefined;
    let waiting: number[] = [];
    try {
      await holder`begin`;
      await holder`insert into ingest_staged_object (load_key, line_number, resource_name, object_type, object_id, payload)
                   values (${id}, ${line}, 'products', 'Product', 1, '{}')`;
      const [{ pid: holderPid } = { pid: 0 }] = await holder<{ pid: number }[]>`select pg_backend_pid() as pid`;
      first = deliverOnce({ procedureExecutionId: id, step: 0 }, 1);
      const [running] = await backendsBlockedBy(holderPid, 1);
      // The lease runs out while that step is alive, waiting in its statement (15 minutes pass:
      // set here, the one thing not waited for), and the step's message comes again.
      await sql`update procedure_execution set heartbeat_at = now() - interval '16 minutes'
                where procedure_execution_id = ${id} and status = 'running'`;
      second = deliverOnce({ procedureExecutionId: id, step: 0 }, 2);
      waiting = await backendsBlockedBy(holderPid, 2);
      expect(waiting).toContain(running);
    } finally {
      await holder`rollback`;
      holder.release();
    }
    const results = (await Promise.all([first, second])) as Awaited<ReturnType<typeof deliverOnce>>[];
    const done = await waitForExecution(sql, id, { timeoutMs: 90_000 });
    recordFault(
      'a queue message delayed past the lease',
      `step 0's lease run out (heartbeat 16 minutes back) while backend ${waiting[0]} waited in it; its message delivered again`,
      `two consumers in the step at once (backends ${waiting.join(', ')}); acknowledged ${results
        .map((r) => r.explicitAcks.length)
        .join(
          ' + ',
        )}, retried ${results.map((r) => r.retryMessages.length).join(' + ')}; execution ${done.status} after ${done.attempt_count} claims`,
    );
    expect(done.status, done.error_text ?? '').toBe('succeeded');
    expect(done.checkpoint_state).toMatchObject({ counts: { linesRead: store.fixture.products.length } });
    await expectProductTablesOfTheStore(legacy, sql, store);
    const [staged] = await sql`select count(*)::int as n from ingest_staged_object`;
    expect(staged?.n).toBe(0);
  });
});
