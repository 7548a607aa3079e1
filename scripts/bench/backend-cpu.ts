/**
 * CPU seconds the Postgres backends of a database have used, read from /proc: on a shared, noisy
 * machine the database's CPU time is a steadier measure of a load's database work than its wall
 * time. Only for a server on this machine (the embedded one the bench starts); null elsewhere.
 */
import { readFile } from 'node:fs/promises';
import type { Sql } from '#shared/db/types.ts';

const CLOCK_TICKS_PER_SECOND = 100;

async function processCpuSeconds(pid: number): Promise<number | null> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // fields after the command name (which may hold spaces): utime and stime are the 14th and 15th
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return null;
  }
}

/** Σ CPU seconds of the client backends connected to `sql`'s database now (their whole life); null if unreadable. */
export async function backendCpuSeconds(sql: Sql): Promise<number | null> {
  const backends = await sql<{ pid: number }[]>`
    select pid from pg_stat_activity where datname = current_database() and backend_type = 'client backend'`;
  let total = 0;
  for (const { pid } of backends) {
    const seconds = await processCpuSeconds(pid);
    if (seconds === null) return null;
    total += seconds;
  }
  return total;
}
