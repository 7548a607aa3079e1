/**
 * A bench run at a bigger scale against a baseline run's results (`npm run bench -- --orders
 * 1000000 --baseline bench/results.json`): per figure of the new system, its value at this scale,
 * at the baseline's, and the ratio, met when it stays within 1.1 × the ratio of the data (≤ 5.5
 * for 5× the orders); and which steps grow worse than linearly. BENCHMARKS.md holds the section
 * beside the baseline's report (scripts/bench/markdown-file.ts).
 */
import { markdownTable, type PairResult, type Timing } from './marts.ts';
import { type BenchResults, targetsTable } from './report.ts';

/** A figure may grow this much more than the data does (the issue: ≤ 5.5 for 5× the data). */
export const SCALE_SLACK = 1.1;

export interface ScaleFigure {
  step: string;
  /** A wall time (the issue's figures: met or missed), or CPU seconds beside it (steadier on shared cores). */
  kind: 'wall' | 'cpu';
  unit: 'ms' | 's';
  value: number;
  baseline: number;
  ratio: number;
  /** The same step of the peer (the legacy, or the raw COPY pipe) at both scales, for comparison. */
  peer: { name: string; value: number; baseline: number; ratio: number } | null;
  met: boolean;
  /** Grows faster than the data (ratio above the data's ratio, slack not counted). */
  superlinear: boolean;
}

export interface ScaleComparison {
  orders: number;
  baselineOrders: number;
  /** orders / baselineOrders. */
  dataRatio: number;
  /** The largest ratio met: dataRatio × SCALE_SLACK. */
  limit: number;
  figures: ScaleFigure[];
}

const round = (value: number, digits = 2) => Number(value.toFixed(digits));
const ratioOf = (value: number, baseline: number) => round(value / Math.max(baseline, 0.01));
const median = (t: Timing) => t.median;

function martMedian(marts: PairResult[], prefix: string, side: 'newMs' | 'legacyMs'): number | null {
  const found = marts.find((m) => m.name.startsWith(prefix));
  return found ? found[side].median : null;
}

/** The reported steps: each the new system's median at a run, and its peer's. */
const STEPS: {
  step: string;
  kind?: 'cpu';
  unit: 'ms' | 's';
  value: (r: BenchResults) => number | null;
  peer?: { name: string; value: (r: BenchResults) => number | null };
}[] = [
  {
    step: 'ingest (fully shuffled files)',
    unit: 'ms',
    value: (r) => median(r.ingest.newMs),
    peer: { name: 'legacy ingest', value: (r) => median(r.ingest.legacyMs) },
  },
  {
    step: 'ingest (natural order)',
    unit: 'ms',
    value: (r) => median(r.ingest.newNaturalMs),
    peer: { name: 'raw COPY', value: (r) => median(r.ingest.copyMs) },
  },
  {
    step: 'ingest (fully shuffled files), database CPU',
    kind: 'cpu',
    unit: 's',
    value: (r) => r.ingest.databaseCpuSeconds.new?.median ?? null,
    peer: { name: 'legacy', value: (r) => r.ingest.databaseCpuSeconds.legacy?.median ?? null },
  },
  {
    step: 'ingest (natural order), database CPU',
    kind: 'cpu',
    unit: 's',
    value: (r) => r.ingest.databaseCpuSeconds.newNatural?.median ?? null,
    peer: { name: 'raw COPY', value: (r) => r.ingest.databaseCpuSeconds.copy?.median ?? null },
  },
  {
    step: 'ingest (fully shuffled files), loader process CPU',
    kind: 'cpu',
    unit: 's',
    value: (r) => round((r.ingest.loaderCpuMsPerMib.median * r.ingest.bytes) / 2 ** 20 / 1000),
  },
  ...(
    [
      ['full refresh', 'full refresh'],
      ['incremental refresh (1000 orders over 10 days)', 'incremental refresh'],
      ['dashboard summary (30 days)', 'dashboard summary'],
      ['top 100 products (30 days)', 'top 100 products'],
    ] as const
  ).map(([step, prefix]) => ({
    step,
    unit: 'ms' as const,
    value: (r: BenchResults) => martMedian(r.marts, prefix, 'newMs'),
    peer: { name: 'legacy', value: (r: BenchResults) => martMedian(r.marts, prefix, 'legacyMs') },
  })),
  { step: 'all parity checks (one run)', unit: 'ms', value: (r) => median(r.parity.identical) },
  {
    step: 'data migration (migrate:legacy run)',
    unit: 's',
    value: (r) => (r.migration ? median(r.migration.seconds) : null),
    peer: { name: 'raw COPY pipe', value: (r) => (r.migration ? median(r.migration.pipeSeconds) : null) },
  },
];

export function compareScale(results: BenchResults, baseline: BenchResults): ScaleComparison {
  const dataRatio = round(results.scale.orders / baseline.scale.orders);
  const limit = round(dataRatio * SCALE_SLACK);
  const figures: ScaleFigure[] = [];
  for (const { step, kind = 'wall', unit, value, peer } of STEPS) {
    const [now, then] = [value(results), value(baseline)];
    if (now === null || then === null) continue;
    const ratio = ratioOf(now, then);
    const [peerNow, peerThen] = peer ? [peer.value(results), peer.value(baseline)] : [null, null];
    figures.push({
      step,
      kind,
      unit,
      value: now,
      baseline: then,
      ratio,
      peer:
        peer && peerNow !== null && peerThen !== null
          ? { name: peer.name, value: peerNow, baseline: peerThen, ratio: ratioOf(peerNow, peerThen) }
          : null,
      met: kind === 'cpu' || ratio <= limit,
      superlinear: ratio > dataRatio,
    });
  }
  return { orders: results.scale.orders, baselineOrders: baseline.scale.orders, dataRatio, limit, figures };
}

const count = (n: number) => n.toLocaleString('en-US');
const load = (l: number[]) => l.map((x) => x.toFixed(2)).join(' / ');

/** The heading that opens a scale section: the markdown file replaces a section by it. */
export const scaleHeading = (orders: number) => `## At ${count(orders)} orders`;

export function renderScaleSection(results: BenchResults, baseline: BenchResults, scale: ScaleComparison): string {
  const { machine, ingest } = results;
  const figure = (value: number, unit: string) => `${value} ${unit}`;
  const superlinear = scale.figures.filter((f) => f.superlinear && f.kind === 'wall');
  const lines = [
    `${scaleHeading(scale.orders)} (against ${count(scale.baselineOrders)})`,
    '',
    `\`npm run bench -- --orders ${scale.orders} --baseline <the ${count(scale.baselineOrders)}-order results.json>\`: the same steps at ${scale.dataRatio}× the orders. Each wall time's ratio to the baseline's is met when it is at most ${scale.limit} (${SCALE_SLACK} × the data's ${scale.dataRatio}×); the CPU rows (the database backends' and the loader process's CPU seconds, from /proc) are steadier than wall time when other work shares the cores.`,
    '',
    `- **Date**: ${results.date}; the whole run took ${Math.round(results.seconds)} s (the baseline run ${Math.round(baseline.seconds)} s, ${baseline.date})`,
    `- **Load average** (1/5/15 min): ${load(machine.loadAverage.start)} at the start, ${load(machine.loadAverage.end)} at the end (the baseline run: ${load(baseline.machine.loadAverage.start)} at the start, ${load(baseline.machine.loadAverage.end)} at the end); ${machine.cpus} shared cores`,
    `- **Scale**: ${count(results.scale.orders)} orders, ${count(results.scale.products)} products, seed ${results.scale.seed}, ${results.scale.days} days: ${count(results.scale.jsonlLines)} JSONL lines (${(results.scale.jsonlBytes / 2 ** 20).toFixed(0)} MiB), ${count(ingest.rows)} raw rows (baseline: ${count(baseline.scale.jsonlLines)} lines, ${count(baseline.ingest.rows)} rows)`,
    `- **Runs**: ${results.runs.light} per query and refresh, ${results.runs.heavy} per ingest and migration (baseline: ${baseline.runs.light} and ${baseline.runs.heavy}); medians`,
    '',
    `| step | at ${count(scale.orders)} | at ${count(scale.baselineOrders)} | ratio | goal | | peer's ratio |`,
    '|---|---|---|---|---|---|---|',
    ...scale.figures.map(
      (f) =>
        `| ${f.step} | ${figure(f.value, f.unit)} | ${figure(f.baseline, f.unit)} | ${f.ratio}${f.superlinear ? ' (worse than linear)' : ''} | ${f.kind === 'cpu' ? 'CPU, beside the wall time' : `≤ ${scale.limit}`} | ${f.kind === 'cpu' ? '' : f.met ? 'met' : '**missed**'} | ${f.peer ? `${f.peer.name}: ${figure(f.peer.value, f.unit)} / ${figure(f.peer.baseline, f.unit)} = ${f.peer.ratio}` : '—'} |`,
    ),
    '',
    superlinear.length === 0
      ? `No step grows worse than linearly (every ratio ≤ ${scale.dataRatio}).`
      : `Worse than linear (ratio above ${scale.dataRatio}): ${superlinear.map((f) => `${f.step} ${f.ratio}×${f.peer ? ` (${f.peer.name} ${f.peer.ratio}×)` : ''}`).join('; ')}. docs/benchmarks.md ("Bigger scales") says why.`,
    '',
    `### Targets at ${count(scale.orders)} orders`,
    '',
    ...targetsTable(results.targets),
    '',
    `### Marts and dashboard queries at ${count(scale.orders)} orders`,
    '',
    markdownTable(results.marts),
  ];
  return `${lines.join('\n')}\n`;
}
