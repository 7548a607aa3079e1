/**
 * A standard parity run: made over the standard window (the 30 shop-local days ending the day
 * before the common watermark: no `from`/`to` asked for) with the configured tolerance, whether
 * the daily cron or a person started it. Only standard runs count towards the cutover gate; a run
 * with custom parameters is stored and shown as ad hoc, and never counts.
 *
 * The tolerance is the Workers' variable PARITY_TOLERANCE (default 1%), read by the ingest
 * Worker (what a run without `tolerance` uses) and the dashboard-api (what counts as standard).
 */
import { z } from 'zod';
import type { Queryable } from '#shared/db/types.ts';
import { blankAsUnset, configSection } from '../config.ts';
import { DEFAULT_TOLERANCE } from './comparison.ts';

/** PARITY_TOLERANCE: unset or blank is the default 1%. */
export const toleranceSchema = z.preprocess(
  blankAsUnset,
  z.coerce
    .number({ message: 'must be a number greater than 0 and below 1 (0.01 = 1%)' })
    .gt(0, 'must be greater than 0 and below 1 (0.01 = 1%)')
    .lt(1, 'must be greater than 0 and below 1 (0.01 = 1%)')
    .default(DEFAULT_TOLERANCE),
);

/** The configured tolerance, a section of both Workers' configuration (503 naming a bad value). */
export const paritySection = configSection<{ tolerance: number }>(
  'Parity',
  z.object({ PARITY_TOLERANCE: toleranceSchema }).transform((vars) => ({ tolerance: vars.PARITY_TOLERANCE })),
);

/**
 * SQL: whether the run of procedure_execution `e` (left-joined parity_check_execution `p`) is
 * standard. The tolerance a finished run used is the one its checks recorded; a queued one's is
 * the one it asked for, else the configured one.
 */
export function standardRunSql(sql: Queryable, tolerance: number) {
  return sql`(not (e.parameters ? 'from' or e.parameters ? 'to')
    and coalesce((p.check_results -> 0 ->> 'tolerance')::numeric, (e.parameters ->> 'tolerance')::numeric,
                 ${String(tolerance)}::numeric) = ${String(tolerance)}::numeric)`;
}

export interface RunParameters {
  from?: string;
  to?: string;
  tolerance?: number;
}

/** Why a run is ad hoc, for people; null when it is standard. */
export function adHocReason(parameters: RunParameters, usedTolerance: number | null, tolerance: number): string | null {
  const reasons: string[] = [];
  if (parameters.from || parameters.to) {
    reasons.push(`custom window (${parameters.from ?? 'default'} to ${parameters.to ?? 'default'})`);
  }
  const used = usedTolerance ?? parameters.tolerance ?? tolerance;
  if (used !== tolerance) reasons.push(`tolerance ${percent(used)} instead of ${percent(tolerance)}`);
  return reasons.length > 0 ? `ad hoc: ${reasons.join(', ')}` : null;
}

const percent = (rate: number) => `${Math.round(rate * 100_000) / 1000}%`;
