/**
 * How the local CLIs that run the ingest Worker under `wrangler dev` (npm start, npm run
 * ingest:fixture) pick up a run an earlier session left unfinished instead of refusing to start
 * one: `wrangler dev`'s local queue loses its pending messages when the session stops (Ctrl-C, a
 * crash, SIGKILL) or reloads, which would leave an execution idle for ever and its concurrency key
 * taken. So a session
 * 1. finds the unfinished run of its kind and follows it (unfinishedRun);
 * 2. gives the steps its own stop killed back to the queue (releaseInterruptedSteps);
 * 3. re-sends the message of every execution that lost its own (keepExecutionsMoving), through the
 *    dev gateway's POST /__dev/requeue (scripts/dev/gateway.ts). The runner ignores a message for a
 *    step that has moved on, so a message too many does nothing.
 * Deployed queues do not lose messages on a deploy as a whole; there the 15-minute cron's watchdog
 * (workers/shared/procedures/watchdog.ts) re-sends or fails what stalls.
 */
import type { Sql } from '#shared/db/types.ts';

/** The newest active (queued, running, waiting) execution of `kind`, if any. */
export async function unfinishedRun(
  sql: Sql,
  kind: string,
): Promise<{ id: string; status: string; requested_at: Date } | null> {
  const [row] = await sql<{ id: string; status: string; requested_at: Date }[]>`
    select procedure_execution_id as id, status, requested_at from procedure_execution
    where procedure_kind = ${kind} and status in ('queued', 'running', 'waiting')
    order by requested_at desc limit 1`;
  return row ?? null;
}

/**
 * Steps the last stop killed mid-run go back to waiting at the same step, so they resume from
 * their last checkpoint at once instead of after their 15-minute lease. Only for a database no
 * other session runs steps on, while none runs yet: every running step (or, with `rootId`, every
 * running step of that run and the executions it started).
 */
export async function releaseInterruptedSteps(sql: Sql, options: { rootId?: string } = {}): Promise<number> {
  const released = options.rootId
    ? await sql`
        with recursive tree as (
          select procedure_execution_id from procedure_execution where procedure_execution_id = ${options.rootId}
          union all
          select child.procedure_execution_id from procedure_execution child
          join tree on child.parent_procedure_execution_id = tree.procedure_execution_id)
        update procedure_execution set status = 'waiting'
        where status = 'running' and procedure_execution_id in (select procedure_execution_id from tree)
        returning 1`
    : await sql`update procedure_execution set status = 'waiting' where status = 'running' returning 1`;
  return released.length;
}

/** A queued or waiting execution this long past its last move or its wake-up lost its message. */
const IDLE_BEFORE_REQUEUE_SECONDS = 30;
/** A running step's lease (EXECUTION_LEASE_SECONDS, 900 s) plus a margin: its step was killed. */
const RUNNING_BEFORE_REQUEUE_SECONDS = 960;
const ROUND_MS = 15_000;

/**
 * At once and then every 15 s, re-sends (through `requeueUrl`, the dev gateway's /__dev/requeue)
 * the message of any queued or waiting execution that has not moved since before this session
 * started (its message was in the last session's queue), or is past its last move and its wake-up
 * by IDLE_BEFORE_REQUEUE_SECONDS, and of any running past its lease. Returns the stop.
 */
export function keepExecutionsMoving(
  sql: Sql,
  requeueUrl: string,
  say: (message: string) => void,
): () => Promise<void> {
  // What has not moved since before this session started lost its message with the last one.
  const sessionStart = new Date();
  const requeueIdle = async () => {
    try {
      const idle = await sql<{ id: string; step: number }[]>`
        select procedure_execution_id as id, step_count as step from procedure_execution
        where (status in ('queued', 'waiting')
               and (coalesce(heartbeat_at, requested_at) < ${sessionStart}
                    or greatest(coalesce(heartbeat_at, requested_at), wake_up_at)
                       < now() - make_interval(secs => ${IDLE_BEFORE_REQUEUE_SECONDS})))
           or (status = 'running'
               and coalesce(heartbeat_at, requested_at) < now() - make_interval(secs => ${RUNNING_BEFORE_REQUEUE_SECONDS}))`;
      for (const { id, step } of idle) {
        const response = await fetch(requeueUrl, {
          method: 'POST',
          body: JSON.stringify({ procedureExecutionId: id, step }),
        });
        await response.body?.cancel();
      }
      if (idle.length > 0) say(`re-sent the queue message of ${idle.length} idle execution(s)`);
    } catch {
      // the next round tries again; a stopping session ends here
    }
  };
  const first = requeueIdle();
  const timer = setInterval(requeueIdle, ROUND_MS);
  return async () => {
    clearInterval(timer);
    await first;
  };
}
