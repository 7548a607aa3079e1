/**
 * The cutover gate over time: the last runs on a time axis, standard runs (the daily schedule's
 * window and tolerance) in one lane and ad hoc ones in another, filled or hollow; the runs the
 * gate counted ringed; ignored ones dashed, with why; and the span the gate needs drawn as a
 * bracket ending at the newest counted run.
 */
import type { FC } from 'hono/jsx';
import { timestamp } from './format.ts';
import { Empty } from './layout.tsx';
import type { GateView, RunView } from './views.ts';

export interface TimelineRun {
  id: string | null;
  at: string;
  verdict: string;
  standard: boolean;
  counted: boolean;
  ignored: string | null;
}

export const TIMELINE_RUNS = 20;

/** The runs to draw, oldest first: recent finished runs plus the gate's counted and ignored ones. */
export function timelineRuns(gate: GateView, runs: RunView[]): TimelineRun[] {
  const byKey = new Map<string, TimelineRun>();
  const put = (run: TimelineRun) => {
    const key = run.id ?? `${run.at}`;
    byKey.set(key, { ...byKey.get(key), ...run });
  };
  for (const r of runs) {
    if (r.verdict === null) continue;
    put({
      id: r.id,
      at: r.started_at ?? r.requested_at,
      verdict: r.verdict,
      standard: r.standard ?? true,
      counted: false,
      ignored: null,
    });
  }
  for (const r of gate.ignored_runs ?? []) {
    put({ id: r.id, at: r.started_at, verdict: r.verdict, standard: r.standard, counted: false, ignored: r.reason });
  }
  for (const r of gate.runs) {
    const known = byKey.get(r.id ?? r.started_at);
    put({
      id: r.id,
      at: r.started_at,
      verdict: r.verdict,
      standard: known?.standard ?? true,
      counted: true,
      ignored: null,
    });
  }
  return [...byKey.values()].sort((a, b) => a.at.localeCompare(b.at)).slice(-TIMELINE_RUNS);
}

const W = 960;
const LEFT = 90;
const RIGHT = 24;
const LANES = { standard: 78, adhoc: 122 } as const;
const AXIS = 150;
const H = 176;
const r1 = (n: number) => Math.round(n * 10) / 10;

function caption(gate: GateView, shown: TimelineRun[]): string {
  const counted = gate.runs.length;
  const adhoc = shown.filter((r) => !r.standard).length;
  const ignored = (gate.ignored_runs ?? []).length;
  return (
    `Cutover gate ${gate.state}: ${counted} counted run${counted === 1 ? '' : 's'} spanning ${gate.span_hours} h; ` +
    `it needs ${gate.required_runs} passing runs spanning at least ${gate.minimum_span_hours} h. ` +
    `Shown: the last ${shown.length} runs (${shown.length - adhoc} standard, ${adhoc} ad hoc), ${ignored} ignored by the gate.`
  );
}

const Marker: FC<{ run: TimelineRun; x: number; y: number }> = ({ run, x, y }) => {
  const cls = `${run.verdict}${run.standard ? '' : ' adhoc'}${run.ignored ? ' ignored' : ''}`;
  const shape =
    run.verdict === 'pass' ? (
      <circle class={cls} cx={x} cy={y} r="7" />
    ) : run.verdict === 'fail' ? (
      <rect class={cls} x={x - 6} y={y - 6} width="12" height="12" transform={`rotate(45 ${x} ${y})`} />
    ) : (
      <path class={cls} d={`M${x} ${y - 8}L${x + 8} ${y + 6}H${x - 8}Z`} />
    );
  const what = `${timestamp(run.at)}: ${run.standard ? 'standard' : 'ad hoc'} run, ${run.verdict}; ${
    run.counted
      ? 'counted by the gate'
      : run.ignored
        ? `ignored by the gate: ${run.ignored}`
        : 'not counted (older than the runs the gate needed)'
  }`;
  return (
    <a
      href={run.id ? `/console?run=${run.id}` : '#gate'}
      data-timeline-run={run.id ?? ''}
      data-counted={String(run.counted)}
      data-standard={String(run.standard)}
    >
      <title>{what}</title>
      {run.counted ? <circle class="counted" cx={x} cy={y} r="12" /> : null}
      {shape}
    </a>
  );
};

export const GateTimeline: FC<{ gate: GateView; runs: RunView[] }> = ({ gate, runs }) => {
  const shown = timelineRuns(gate, runs);
  if (shown.length === 0) {
    return (
      <Empty>
        No finished parity run yet, so there is nothing to draw. The daily run starts at 06:30 UTC; staff can start one
        with the button above. The gate needs {gate.required_runs} passing runs spanning at least{' '}
        {gate.minimum_span_hours} h.
      </Empty>
    );
  }
  const newestCounted = gate.runs[0]?.started_at ?? shown.at(-1)?.at ?? gate.evaluated_at;
  const bracketEnd = Date.parse(newestCounted);
  const bracketStart = bracketEnd - gate.minimum_span_hours * 3_600_000;
  const times = shown.map((r) => Date.parse(r.at));
  const end = Math.max(Date.parse(gate.evaluated_at), ...times);
  const start0 = Math.min(bracketStart, ...times);
  const pad = Math.max((end - start0) * 0.03, 600_000);
  const [t0, t1] = [start0 - pad, end + pad];
  const x = (t: number) => r1(LEFT + ((t - t0) / (t1 - t0)) * (W - LEFT - RIGHT));
  const tickTimes = [0, 1, 2, 3, 4].map((k) => t0 + ((t1 - t0) * k) / 4);
  const [bx0, bx1] = [x(bracketStart), x(bracketEnd)];
  return (
    <figure class="chart timeline" id="gate-timeline">
      <figcaption id="gate-timeline-caption">{caption(gate, shown)}</figcaption>
      <div class="legend" aria-hidden="true">
        <span>● pass ◆ fail ▲ error</span>
        <span>filled: standard run · hollow: ad hoc run · dashed: ignored by the gate</span>
        <span>ringed: counted by the gate</span>
      </div>
      <svg viewBox={`0 0 ${W} ${H}`} aria-labelledby="gate-timeline-caption">
        <title>Parity runs over time, and the span the cutover gate needs</title>
        <path class="bracket" d={`M${bx0} 34v-10H${bx1}v10`} />
        <text class="label" x={r1((bx0 + bx1) / 2)} y="16" text-anchor="middle">
          {`the gate needs ${gate.required_runs} passing runs spanning ≥ ${gate.minimum_span_hours} h (counted: ${gate.span_hours} h)`}
        </text>
        <text x="8" y={LANES.standard + 4}>
          standard
        </text>
        <text x="8" y={LANES.adhoc + 4}>
          ad hoc
        </text>
        <line class="grid" x1={LEFT} x2={W - RIGHT} y1={LANES.standard} y2={LANES.standard} />
        <line class="grid" x1={LEFT} x2={W - RIGHT} y1={LANES.adhoc} y2={LANES.adhoc} />
        <line class="axis" x1={LEFT} x2={W - RIGHT} y1={AXIS - 12} y2={AXIS - 12} />
        {tickTimes.map((t, k) => (
          <text x={x(t)} y={AXIS + 8} text-anchor={k === 0 ? 'start' : k === tickTimes.length - 1 ? 'end' : 'middle'}>
            {timestamp(new Date(t).toISOString()).replace(' UTC', '')}
          </text>
        ))}
        <line
          class="edge"
          x1={x(Date.parse(gate.evaluated_at))}
          x2={x(Date.parse(gate.evaluated_at))}
          y1="40"
          y2={AXIS - 12}
        />
        <text x={x(Date.parse(gate.evaluated_at)) - 4} y="50" text-anchor="end">
          now
        </text>
        {shown.map((run) => (
          <Marker run={run} x={x(Date.parse(run.at))} y={run.standard ? LANES.standard : LANES.adhoc} />
        ))}
      </svg>
    </figure>
  );
};
