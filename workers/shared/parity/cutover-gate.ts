/**
 * The cutover gate: open when the latest parity runs all passed — at least N of them (default 3)
 * covering at least H hours (default 24) from the oldest one's start to the newest one's. Runs are
 * taken newest first until both hold, so several runs triggered in one afternoon do not open the
 * gate on their own, and a single failing or errored run among them keeps it closed.
 *
 * N and H come from the dashboard-api's variables PARITY_GATE_REQUIRED_RUNS and
 * PARITY_GATE_MINIMUM_SPAN_HOURS.
 */
import type postgres from 'postgres';
import { z } from 'zod';
import { blankAsUnset, configSection } from '../config.ts';
import { freshRead } from '../db/fresh.ts';
import type { Verdict } from './comparison.ts';

export interface CutoverGateConfig {
  requiredRuns: number;
  minimumSpanHours: number;
}

export const DEFAULT_GATE: CutoverGateConfig = { requiredRuns: 3, minimumSpanHours: 24 };

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
    })
    .transform((vars) => ({
      requiredRuns: vars.PARITY_GATE_REQUIRED_RUNS,
      minimumSpanHours: vars.PARITY_GATE_MINIMUM_SPAN_HOURS,
    })),
);

export interface GateRun {
  id: string | null;
  verdict: Verdict;
  started_at: string;
  failing_checks: string[];
}

export interface CutoverGate {
  state: 'open' | 'closed';
  reason: string;
  required_runs: number;
  minimum_span_hours: number;
  /** The runs the decision rests on, newest first. */
  runs: GateRun[];
  /** Hours from the oldest considered run's start to the newest's. */
  span_hours: number;
  evaluated_at: string;
}

const hoursBetween = (newer: string, older: string) => (Date.parse(newer) - Date.parse(older)) / 3_600_000;
const roundHours = (hours: number) => Math.round(hours * 10) / 10;

export async function evaluateCutoverGate(
  sql: postgres.ISql,
  config: CutoverGateConfig = DEFAULT_GATE,
): Promise<CutoverGate> {
  const rows = await sql<(Omit<GateRun, 'failing_checks'> & { failing_checks: string; evaluated_at: string })[]>`
    select procedure_execution_id as id, verdict,
           to_char(started_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as started_at,
           (select coalesce(jsonb_agg(c ->> 'name' order by c ->> 'name'), '[]')::text
              from jsonb_array_elements(check_results) c where c ->> 'verdict' <> 'pass') as failing_checks,
           to_char(now() at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as evaluated_at
    from parity_check_execution
    where ${freshRead(sql)}
    order by started_at desc, parity_check_execution_id desc
    limit ${MAX_RUNS_CONSIDERED}`;
  const evaluatedAt = rows[0]?.evaluated_at ?? new Date().toISOString();
  const needed = `${config.requiredRuns} passing runs spanning at least ${config.minimumSpanHours} h`;
  const runs: GateRun[] = [];
  const gate = (state: CutoverGate['state'], reason: string): CutoverGate => {
    const newest = runs[0];
    const oldest = runs.at(-1);
    return {
      state,
      reason,
      required_runs: config.requiredRuns,
      minimum_span_hours: config.minimumSpanHours,
      runs,
      span_hours: newest && oldest ? roundHours(hoursBetween(newest.started_at, oldest.started_at)) : 0,
      evaluated_at: evaluatedAt,
    };
  };
  for (const { evaluated_at: _, ...row } of rows) {
    const run: GateRun = { ...row, failing_checks: JSON.parse(row.failing_checks) as string[] };
    runs.push(run);
    if (run.verdict !== 'pass') {
      const what = run.verdict === 'fail' ? 'failed' : 'could not complete';
      const checks = run.failing_checks.length > 0 ? ` (${run.failing_checks.join(', ')})` : '';
      const position = runs.length === 1 ? 'the latest run' : `the run of ${run.started_at}`;
      return gate('closed', `${position} ${what}${checks}; the gate needs ${needed}`);
    }
    const span = hoursBetween(runs[0]?.started_at ?? run.started_at, run.started_at);
    if (runs.length >= config.requiredRuns && span >= config.minimumSpanHours) {
      return gate(
        'open',
        `the latest ${runs.length} runs all passed, spanning ${roundHours(span)} h (needed: ${needed})`,
      );
    }
  }
  if (runs.length === 0) return gate('closed', `no parity run yet; the gate needs ${needed}`);
  const span = roundHours(hoursBetween(runs[0]?.started_at ?? '', runs.at(-1)?.started_at ?? ''));
  return gate('closed', `only ${runs.length} passing runs spanning ${span} h so far; the gate needs ${needed}`);
}
