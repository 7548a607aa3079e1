/**
 * Dropping the Worker's database connection at a chosen point: the test holds a lock in a
 * transaction of its own, the Worker's next statement comes to wait on it, and that backend is
 * terminated from a second connection (pg_terminate_backend, as a failover or an operator would).
 */

import type postgres from 'postgres';
import { expect } from 'vitest';
import type { Sql } from '#shared/db/types.ts';

/** A reserved connection inside a transaction that ran `statement` (and holds its locks). */
export async function holdInTransaction(sql: Sql, statement: (holder: postgres.ReservedSql) => Promise<unknown>) {
  const holder = await sql.reserve();
  await holder`begin`;
  await statement(holder);
  return holder;
}

/**
 * Drops the Worker's database connection at a chosen point: `holder` holds a lock the Worker's
 * next statement waits for; once a backend is waiting on it, that backend is terminated from this
 * second connection (pg_terminate_backend, as a failover or an operator would), then the lock is
 * released. Returns the terminated backend's pid.
 */
export async function dropConnectionBlockedBy(
  sql: Sql,
  holder: postgres.ReservedSql,
  timeoutMs = 45_000,
): Promise<number> {
  try {
    return await terminateBackendBlockedBy(sql, holder, timeoutMs);
  } finally {
    await holder`rollback`;
    holder.release();
  }
}

/**
 * The next backend that comes to wait on `holder`'s lock, terminated and gone from
 * pg_stat_activity (the lock stays held).
 */
export async function terminateBackendBlockedBy(
  sql: Sql,
  holder: postgres.ReservedSql,
  timeoutMs = 45_000,
): Promise<number> {
  const [{ pid: holderPid } = { pid: 0 }] = await holder<{ pid: number }[]>`select pg_backend_pid() as pid`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [blocked] = await sql<{ pid: number }[]>`
      select pid from pg_stat_activity where ${holderPid}::int = any(pg_blocking_pids(pid))`;
    if (blocked) {
      await sql`select pg_terminate_backend(${blocked.pid}::int, 10000)`;
      return blocked.pid;
    }
    if (Date.now() > deadline) throw new Error('no statement of the Worker came to wait on the held lock');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** That a terminated backend is really gone (no longer in pg_stat_activity), as text for the record. */
export async function terminatedBackendGone(sql: Sql, pid: number): Promise<string> {
  const [row] = await sql<{ n: number }[]>`select count(*)::int as n from pg_stat_activity where pid = ${pid}`;
  expect(row?.n, `backend ${pid} was terminated`).toBe(0);
  return `backend ${pid} gone from pg_stat_activity`;
}
