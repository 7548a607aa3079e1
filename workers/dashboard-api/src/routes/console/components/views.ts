/**
 * What the console pages draw, in the shapes the API answers (parity/store.ts StoredParityRun,
 * cutover-gate.ts CutoverGate), written out here so the pages depend on no Worker bindings and
 * render in Node for the browser tests. Fields another change adds are optional until it lands:
 * a run's `standard` (missing: standard) and the gate's `ignored_runs` (missing: none).
 */
import type { ParityCheckResult } from '#shared/parity/comparison.ts';

export interface RunView<Check = { name: string; verdict: string; summary: string }> {
  id: string;
  status: 'queued' | 'running' | 'succeeded' | 'failed';
  trigger_source: string;
  requested_at: string;
  started_at: string | null;
  finished_at: string | null;
  error: string | null;
  verdict: 'pass' | 'fail' | 'error' | null;
  window: { from: string; to: string; through: string | null } | null;
  watermark_at: string | null;
  legacy_synced_at: string | null;
  new_synced_at: string | null;
  checks: Check[];
  /** Made with the configured tolerance over the standard window. */
  standard?: boolean;
}

export type SelectedRun = RunView<ParityCheckResult>;

/** A run the gate skipped, and why. */
export interface IgnoredRun {
  id: string | null;
  started_at: string;
  verdict: string;
  standard: boolean;
  reason: string;
}

export interface GateView {
  state: 'open' | 'closed';
  reason: string;
  required_runs: number;
  minimum_span_hours: number;
  /** The runs the gate counted, newest first. */
  runs: { id: string | null; verdict: string; started_at: string; failing_checks: string[] }[];
  span_hours: number;
  evaluated_at: string;
  ignored_runs?: IgnoredRun[];
}
