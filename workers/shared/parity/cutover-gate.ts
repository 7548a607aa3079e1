/**
 * The cutover gate: open when the latest standard parity runs (standard.ts: the standard window and
 * the configured tolerance; ad hoc runs never count) all passed — at least N of them (default 3)
 * covering at least H hours (default 24) from the oldest one's start to the newest one's. Runs are
 * taken newest first until both hold, so several runs triggered in one afternoon do not open the
 * gate on their own, and a single failing or errored run among them keeps it closed.
 *
 * N and H come from the dashboard-api's variables PARITY_GATE_REQUIRED_RUNS and
 * PARITY_GATE_MINIMUM_SPAN_HOURS. The answer lists the runs it counted and why each other recent
 * run did not.
 */
import { z } from 'zod';
import type { Queryable } from '#shared/db/types.ts';
import { blankAsUnset, configSection } from '../config.ts';
import { freshRead } from '../db/fresh.ts';
import { DEFAULT_TOLERANCE, type Verdict } from './comparison.ts';
import { adHocReason, type RunParameters, standardRunSql, toleranceSchema } from './standard.ts';

export interface CutoverGateConfig {
  requiredRuns: number;
  minimumSpanHours: number;
  /** The tolerance of a standard run (PARITY_TOLERANCE); the default 1% when left out. */
  tolerance?: number;
}

export const DEFAULT_GATE: CutoverGateConfig = { requiredRuns: 3, minimumSpanHours: 24, tolerance: DEFAULT_TOLERANCE };

/** Runs read at most: the gate looks no further back than this. */
const MAX_RUNS_CONSIDERED = 1000;

/** N and H from the dashboard-api's variables; defaults when unset or blank. */
export const cutoverGateSection = configSection<CutoverGateConfig>(
  'Cutover gate',
  z
    .object({
      PARITY_GATE_REQUIRED_RUNS: z.preprocess(
        blankAsUnset,
        z.coerce
          .number({ message: 'must be a whole number of runs ≥ 1' })
          .int('must be a whole number of runs ≥ 1')
          .min(1, 'must be a whole number of runs ≥ 1')
          .max(MAX_RUNS_CONSIDERED, `must be at most ${MAX_RUNS_CONSIDERED}`)
          .default(DEFAULT_GATE.requiredRuns),
      ),
      PARITY_GATE_MINIMUM_SPAN_HOURS: z.preprocess(
        blankAsUnset,
        z.coerce
          .number({ message: 'must be a number of hours ≥ 0' })
          .min(0, 'must be a number of hours ≥ 0')
          .default(DEFAULT_GATE.minimumSpanHours),
      ),
      PARITY_TOLERANCE: toleranceSchema,
    })
    .transform((vars) => ({
      requiredRuns: vars.PARITY_GATE_REQUIRED_RUNS,
      minimumSpanHours: vars.PARITY_GATE_MINIMUM_SPAN_HOURS,
      tolerance: vars.PARITY_TOLERANCE,
    })),
);

export interface GateRun {
  id: string | null;
  verdict: Verdict;
  started_at: string;
  failing_checks: string[];
}

/** A recent run the decision did not count, and why. */
export interface IgnoredGateRun {
  id: string | null;
  started_at: string;
  verdict: Verdict;
  standard: boolean;
  reason: string;
}

export interface CutoverGate {
  state: 'open' | 'closed';
  reason: string;
  required_runs: number;
  minimum_span_hours: number;
  /** The tolerance a run must use to count (with the standard window). */
  tolerance: number;
  /** The standard runs the decision rests on, newest first. */
  runs: GateRun[];
  /** The other runs newer than the oldest counted one (or all recent ones), newest first. */
  ignored_runs: IgnoredGateRun[];
  /** Hours from the oldest considered run's start to the newest's. */
  span_hours: number;
  evaluated_at: string;
}

interface GateRow {
  id: string | null;
  verdict: Verdict;
  started_at: string;
  failing_checks: string;
  standard: boolean | null;
  parameters: string | null;
  used_tolerance: string | null;
  evaluated_at: string;
}

/** Ad hoc runs listed at most: the answer stays small however many were made. */
const MAX_IGNORED_LISTED = 50;

const hoursBetween = (newer: string, older: string) => (Date.parse(newer) - Date.parse(older)) / 3_600_000;
const roundHours = (hours: number) => Math.round(hours * 10) / 10;

export async function evaluateCutoverGate(
  sql: Queryable,
  config: CutoverGateConfig = DEFAULT_GATE,
): Promise<CutoverGate> {
  const tolerance = config.tolerance ?? DEFAULT_TOLERANCE;
  // Hand-written: jsonb over the checks and standardRunSql over the join; fresh (freshRead).
  const rows = await sql<GateRow[]>`
    select e.procedure_execution_id as id, p.verdict,
           to_char(p.started_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as started_at,
           (select coalesce(jsonb_agg(c ->> 'name' order by c ->> 'name'), '[]')::text
              from jsonb_array_elements(p.check_results) c where c ->> 'verdict' <> 'pass') as failing_checks,
           ${standardRunSql(sql, tolerance)} as standard,
           e.parameters::text as parameters, p.check_results -> 0 ->> 'tolerance' as used_tolerance,
           to_char(now() at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as evaluated_at
    from parity_check_execution p
    left join procedure_execution e on e.procedure_execution_id = p.procedure_execution_id
    where ${freshRead(sql)}
    order by p.started_at desc, p.parity_check_execution_id desc
    limit ${MAX_RUNS_CONSIDERED}`;
  const evaluatedAt = rows[0]?.evaluated_at ?? new Date().toISOString();
  const needed = `${config.requiredRuns} passing standard runs spanning at least ${config.minimumSpanHours} h`;
  const runs: GateRun[] = [];
  const ignored: IgnoredGateRun[] = [];
  const adHoc = (row: GateRow): IgnoredGateRun => {
    const parameters = row.parameters ? (JSON.parse(row.parameters) as RunParameters) : null;
    const reason = parameters
      ? (adHocReason(parameters, row.used_tolerance === null ? null : Number(row.used_tolerance), tolerance) ??
        'ad hoc')
      : 'ad hoc: its parameters were not kept (its execution record is gone)';
    return { id: row.id, started_at: row.started_at, verdict: row.verdict, standard: false, reason };
  };
  /** `decided`: how many rows the decision read; a few older ones are listed as not needed. */
  const gate = (state: CutoverGate['state'], reason: string, decided = rows.length): CutoverGate => {
    for (const row of rows.slice(decided, decided + MAX_IGNORED_LISTED)) {
      ignored.push(
        row.standard
          ? {
              id: row.id,
              started_at: row.started_at,
              verdict: row.verdict,
              standard: true,
              reason: 'older than the standard runs the decision rests on',
            }
          : adHoc(row),
      );
    }
    const newest = runs[0];
    const oldest = runs.at(-1);
    return {
      state,
      reason,
      required_runs: config.requiredRuns,
      minimum_span_hours: config.minimumSpanHours,
      tolerance,
      runs,
      ignored_runs: ignored.slice(0, MAX_IGNORED_LISTED),
      span_hours: newest && oldest ? roundHours(hoursBetween(newest.started_at, oldest.started_at)) : 0,
      evaluated_at: evaluatedAt,
    };
  };
  for (const [index, row] of rows.entries()) {
    if (!row.standard) {
      ignored.push(adHoc(row));
      continue;
    }
    const run: GateRun = {
      id: row.id,
      verdict: row.verdict,
      started_at: row.started_at,
      failing_checks: JSON.parse(row.failing_checks) as string[],
    };
    runs.push(run);
    if (run.verdict !== 'pass') {
      const what = run.verdict === 'fail' ? 'failed' : 'could not complete';
      const checks = run.failing_checks.length > 0 ? ` (${run.failing_checks.join(', ')})` : '';
      const position = runs.length === 1 ? 'the latest standard run' : `the standard run of ${run.started_at}`;
      return gate('closed', `${position} ${what}${checks}; the gate needs ${needed}`, index + 1);
    }
    const span = hoursBetween(runs[0]?.started_at ?? run.started_at, run.started_at);
    if (runs.length >= config.requiredRuns && span >= config.minimumSpanHours) {
      return gate(
        'open',
        `the latest ${runs.length} standard runs all passed, spanning ${roundHours(span)} h (needed: ${needed})`,
        index + 1,
      );
    }
  }
  if (runs.length === 0) return gate('closed', `no standard parity run yet; the gate needs ${needed}`);
  const span = roundHours(hoursBetween(runs[0]?.started_at ?? '', runs.at(-1)?.started_at ?? ''));
  return gate(
    'closed',
    `only ${runs.length} passing standard runs spanning ${span} h so far; the gate needs ${needed}`,
  );
}
