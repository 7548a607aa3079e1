/**
 * Parity runs as stored: one parity_check_execution row per `parity_check` ProcedureExecution,
 * holding every check's result. A run is addressed by its procedure execution id, so a run that is
 * still queued or running (no results yet) is listed too, with its status.
 *
 * The JSON shapes follow the legacy API's conventions (snake_case, ISO timestamps with Z, lists as
 * {data, next_cursor}); read by the dashboard-api, written by the ingest Worker's procedure.
 */
import { eq, sql as sqlText } from 'drizzle-orm';
import { z } from 'zod';
import { parityCheckExecution } from '#db/schema.ts';
import { drizzleOf, jsonbValue } from '#shared/db/transaction.ts';
import type { Queryable, Sql, Tx } from '#shared/db/types.ts';
import { freshRead } from '../db/fresh.ts';
import { decodeCursor, type Page, toPage } from '../http/pagination.ts';
import type { ParityCheckResult, Verdict } from './comparison.ts';
import type { ParityRun } from './runner.ts';
import { standardRunSql } from './standard.ts';

export const PARITY_RUN_STATUSES = ['queued', 'running', 'succeeded', 'failed'] as const;
export type ParityRunStatus = (typeof PARITY_RUN_STATUSES)[number];

export type ParityCheckSummary = Omit<ParityCheckResult, 'details'> & { summary: string };

export interface StoredParityRun<Check = ParityCheckResult> {
  /** The procedure execution's id: what POST /api/parity-checks answers. */
  id: string;
  status: ParityRunStatus;
  trigger_source: string;
  requested_at: string;
  started_at: string | null;
  finished_at: string | null;
  /** Why the execution failed (a check that could not run, an unreachable database, …). */
  error: string | null;
  /** null until the run has finished. */
  verdict: Verdict | null;
  /** Made with the configured tolerance over the standard window (standard.ts): only these count for the gate. */
  standard: boolean;
  window: { from: string; to: string; through: string | null } | null;
  watermark_at: string | null;
  legacy_synced_at: string | null;
  new_synced_at: string | null;
  checks: Check[];
}

interface RunRow {
  id: string;
  status: 'queued' | 'running' | 'waiting' | 'succeeded' | 'failed';
  trigger_source: string;
  requested_at: string;
  requested_at_micros: string;
  started_at: string | null;
  finished_at: string | null;
  error: string | null;
  verdict: Verdict | null;
  standard: boolean;
  window_from: string | null;
  window_to: string | null;
  through_date: string | null;
  watermark_at: string | null;
  legacy_synced_at: string | null;
  new_synced_at: string | null;
  checks: string | null;
}

const iso = (column: string) => `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

// Lists and lookups stay hand-written: jsonb aggregation of the checks, ISO text by to_char, and
// standardRunSql (shared with the cutover gate) over the join.
// runColumns() and FROM are spliced with sql.unsafe: SQL text built only from this module's
// constants, never from input (the values of a query are always bound parameters).
/** `checks`: full results, or summaries without the (large) details for lists. */
function runColumns(checks: 'full' | 'summary'): string {
  const checksSql =
    checks === 'full'
      ? 'p.check_results::text'
      : `(select coalesce(jsonb_agg((c - 'details') || jsonb_build_object('summary', c #> '{details,summary}')
                                    order by n), '[]')::text
          from jsonb_array_elements(p.check_results) with ordinality as x(c, n))`;
  return `e.procedure_execution_id as id, e.status, e.trigger_source,
    ${iso('e.requested_at')} as requested_at,
    (extract(epoch from e.requested_at) * 1000000)::bigint::text as requested_at_micros,
    ${iso('e.started_at')} as started_at, ${iso('e.finished_at')} as finished_at,
    coalesce(e.error_text, p.error_text) as error, p.verdict,
    p.window_from_date::text as window_from, p.window_to_date::text as window_to, p.through_date::text as through_date,
    ${iso('p.watermark_at')} as watermark_at, ${iso('p.legacy_synced_at')} as legacy_synced_at,
    ${iso('p.new_synced_at')} as new_synced_at, ${checksSql} as checks`;
}

const FROM = `procedure_execution e
  left join parity_check_execution p on p.procedure_execution_id = e.procedure_execution_id`;

function toRun<Check>(row: RunRow): StoredParityRun<Check> {
  return {
    id: row.id,
    status: row.status === 'waiting' ? 'running' : row.status,
    trigger_source: row.trigger_source,
    requested_at: row.requested_at,
    started_at: row.started_at,
    finished_at: row.finished_at,
    error: row.error,
    verdict: row.verdict,
    standard: row.standard,
    window:
      row.window_from && row.window_to ? { from: row.window_from, to: row.window_to, through: row.through_date } : null,
    watermark_at: row.watermark_at,
    legacy_synced_at: row.legacy_synced_at,
    new_synced_at: row.new_synced_at,
    checks: row.checks ? (JSON.parse(row.checks) as Check[]) : [],
  };
}

const cursorSchema = z.strictObject({ k: z.string().regex(/^\d{1,19}$/), id: z.guid() });

/** `tolerance`: the configured one (readParityTolerance), which decides what is standard. */
export async function listParityRuns(
  sql: Queryable,
  query: { limit: number; cursor?: string; verdict?: Verdict },
  tolerance: number,
): Promise<Page<StoredParityRun<ParityCheckSummary>>> {
  const after = query.cursor ? decodeCursor(query.cursor, cursorSchema) : undefined;
  const rows = await sql<RunRow[]>`
    select ${sql.unsafe(runColumns('summary'))}, ${standardRunSql(sql, tolerance)} as standard
    from ${sql.unsafe(FROM)}
    where e.procedure_kind = 'parity_check' and ${freshRead(sql)}
      ${query.verdict ? sql`and p.verdict = ${query.verdict}` : sql``}
      ${
        after
          ? sql`and (e.requested_at, e.procedure_execution_id)
                    < (timestamptz 'epoch' + ${after.k}::bigint * interval '1 microsecond', ${after.id}::uuid)`
          : sql``
      }
    order by e.requested_at desc, e.procedure_execution_id desc
    limit ${query.limit + 1}`;
  return toPage(
    rows,
    query.limit,
    (row) => ({ k: row.requested_at_micros, id: row.id }),
    (row) => toRun<ParityCheckSummary>(row),
  );
}

/** One run with every check's details, or null when there is no parity run with that id. */
export async function findParityRun(sql: Queryable, id: string, tolerance: number): Promise<StoredParityRun | null> {
  const [row] = await sql<RunRow[]>`
    select ${sql.unsafe(runColumns('full'))}, ${standardRunSql(sql, tolerance)} as standard
    from ${sql.unsafe(FROM)}
    where e.procedure_execution_id = ${id}::uuid and e.procedure_kind = 'parity_check' and ${freshRead(sql)}`;
  return row ? toRun<ParityCheckResult>(row) : null;
}

/**
 * Stores a finished run for its execution. A redelivered step replaces the row it wrote before
 * (queues are at-least-once), so an execution never has two results.
 */
export async function saveParityRun(sql: Sql, procedureExecutionId: string | null, run: ParityRun): Promise<string> {
  return sql.begin(async (tx) => {
    await forgetEarlierResult(tx, procedureExecutionId);
    const [row] = await drizzleOf(tx)
      .insert(parityCheckExecution)
      .values({
        procedureExecutionId,
        verdict: run.verdict,
        windowFromDate: run.window.from,
        windowToDate: run.window.to,
        throughDate: run.window.throughDate,
        watermarkAt: run.window.watermarkAt,
        legacySyncedAt: run.window.legacySyncAt,
        newSyncedAt: run.window.newSyncAt,
        checkResults: jsonbValue(run.checks),
        startedAt: run.started_at,
        finishedAt: run.finished_at,
      })
      .returning({ id: parityCheckExecution.parityCheckExecutionId });
    return (row as { id: string }).id;
  }) as Promise<string>;
}

/** A redelivered step's earlier result, replaced by the one it stores now. */
async function forgetEarlierResult(tx: Tx, procedureExecutionId: string | null): Promise<void> {
  if (!procedureExecutionId) return;
  await drizzleOf(tx)
    .delete(parityCheckExecution)
    .where(eq(parityCheckExecution.procedureExecutionId, procedureExecutionId));
}

/** A run that could not complete (a database unreachable, …): stored as `error` with its cause. */
export async function saveFailedParityRun(
  sql: Sql,
  procedureExecutionId: string | null,
  input: { window: { from: string; to: string }; startedAt: string; cause: string },
): Promise<void> {
  await sql.begin(async (tx) => {
    await forgetEarlierResult(tx, procedureExecutionId);
    await drizzleOf(tx).insert(parityCheckExecution).values({
      procedureExecutionId,
      verdict: 'error',
      windowFromDate: input.window.from,
      windowToDate: input.window.to,
      errorText: input.cause,
      startedAt: input.startedAt,
      finishedAt: sqlText`now()`,
    });
  });
}
