/**
 * The benchmark report: the figures (bench/results.json) and BENCHMARKS.md, where each target of
 * the benchmark issue is stated as a ratio to its peer with met / missed.
 */
import type { ApiFigures } from './api.ts';
import type { IngestBench } from './ingest.ts';
import { markdownTable, type PairResult, type Timing } from './marts.ts';
import type { ParityBenchResult } from './parity.ts';

export interface BenchEnvironment {
  date: string;
  machine: {
    cpus: number;
    cpuModel: string;
    memoryGib: number;
    /** 1, 5 and 15 minute load averages when the run started and when it ended (2 shared cores). */
    loadAverage: { start: number[]; end: number[] };
  };
  versions: { node: string; postgres: string; wrangler: string };
  postgres: { embedded: boolean; settings: Record<string, string> };
  scale: {
    orders: number;
    products: number;
    seed: number;
    days: number;
    timezone: string;
    period: { firstDate: string; lastDate: string };
    jsonlLines: number;
    jsonlBytes: number;
  };
  runs: { light: number; heavy: number };
  seconds: number;
}

export interface MigrationBench {
  rows: number;
  batchSize: number;
  /** `npm run migrate:legacy -- run` as it does it (preflight assess included), seconds. */
  seconds: Timing;
  rowsPerSecond: Timing;
  /** Per table one unbatched `COPY (select mapped columns) TO STDOUT` → `COPY … FROM STDIN`, seconds. */
  pipeSeconds: Timing;
  pipeRowsPerSecond: Timing;
  verifySeconds: Timing;
}

export interface BenchResults extends BenchEnvironment {
  ingest: IngestBench;
  marts: PairResult[];
  parity: ParityBenchResult;
  migration: MigrationBench | null;
  api: { connections: number; seconds: number; endpoints: ApiFigures[] } | null;
  targets: Target[];
}

export interface Target {
  name: string;
  /** The new system's figure and its peer's, as text with units. */
  figure: string;
  peer: string;
  /** How the ratio is formed, e.g. "legacy / new". */
  ratioOf: string;
  ratio: number;
  goal: string;
  met: boolean;
}

/** The parity run's budget at the benchmark's scale (200 000 orders). */
const PARITY_BUDGET_MS = 2000;
const PARITY_BUDGET_ORDERS = 200_000;

const round = (value: number, digits = 2) => Number(value.toFixed(digits));
const ms = (t: Timing) => `${t.median} ms`;

function martPair(marts: PairResult[], prefix: string): PairResult {
  const found = marts.find((m) => m.name.startsWith(prefix));
  if (!found) throw new Error(`no mart measurement named "${prefix}…"`);
  return found;
}

function speedup(name: string, pair: PairResult, atLeast: number): Target {
  const ratio = round(pair.legacyMs.median / Math.max(pair.newMs.median, 0.01), 1);
  return {
    name,
    figure: ms(pair.newMs),
    peer: `legacy ${ms(pair.legacyMs)}`,
    ratioOf: 'legacy / new',
    ratio,
    goal: atLeast === 1 ? '≥ 1 (no slower)' : `≥ ${atLeast}`,
    met: ratio >= atLeast,
  };
}

/** The targets, each a ratio to its peer. */
export function evaluateTargets(results: Omit<BenchResults, 'targets'>): Target[] {
  const { ingest, marts, parity, migration } = results;
  const shuffledPair = { name: 'ingest', legacyMs: ingest.legacyMs, newMs: ingest.newMs, speedup: 0 };
  const naturalPair = { name: 'ingest', legacyMs: ingest.legacyMs, newMs: ingest.newNaturalMs, speedup: 0 };
  const copyRatio = round(ingest.newMs.median / ingest.copyMs.median, 2);
  const targets: Target[] = [
    speedup('ingest vs the legacy ingest (fully shuffled files)', shuffledPair, 2),
    speedup('ingest vs the legacy ingest (natural order)', naturalPair, 2),
    // issue 15 asks for within 2× of COPY; the project aims at 1.25×
    ...[2, 1.25].map((within) => ({
      name: `ingest (fully shuffled) within ${within}× of a raw COPY of the same rows`,
      figure: ms(ingest.newMs),
      peer: `COPY ${ms(ingest.copyMs)}`,
      ratioOf: 'new / COPY',
      ratio: copyRatio,
      goal: `≤ ${within}`,
      met: copyRatio <= within,
    })),
    speedup('full refresh', martPair(marts, 'full refresh'), 1.5),
    speedup('incremental refresh vs the legacy 10-day range refresh', martPair(marts, 'incremental refresh'), 20),
    speedup('dashboard summary', martPair(marts, 'dashboard summary'), 20),
    speedup('top products', martPair(marts, 'top 100 products'), 1.5),
  ];
  // the budget is 2 s at 200 000 orders; a bigger store gets it in proportion (issue 15: ≤ 5.5× for 5×)
  const parityBudgetMs = PARITY_BUDGET_MS * Math.max(1, results.scale.orders / PARITY_BUDGET_ORDERS);
  const parityRatio = round(parity.identical.median / parityBudgetMs);
  targets.push({
    name: 'all parity checks (one run)',
    figure: ms(parity.identical),
    peer: `budget ${Math.round(parityBudgetMs)} ms`,
    ratioOf: 'run / budget',
    ratio: parityRatio,
    goal: `≤ 1 (${PARITY_BUDGET_MS} ms per ${PARITY_BUDGET_ORDERS.toLocaleString('en-US')} orders, at least ${PARITY_BUDGET_MS} ms)`,
    met: parityRatio <= 1,
  });
  if (migration) {
    const share = round(migration.rowsPerSecond.median / migration.pipeRowsPerSecond.median);
    targets.push({
      name: 'data migration vs a raw COPY pipe',
      figure: `${migration.rowsPerSecond.median} rows/s`,
      peer: `pipe ${migration.pipeRowsPerSecond.median} rows/s`,
      ratioOf: 'migration / pipe',
      ratio: share,
      goal: '≥ 0.5',
      met: share >= 0.5,
    });
  }
  return targets;
}

const range = (t: Timing, unit = 'ms') => `${t.median} ${unit} (${t.min}–${t.max})`;

function cpuLine(cpu: IngestBench['databaseCpuSeconds']): string {
  const sides: [string, Timing | null][] = [
    ['legacy', cpu.legacy],
    ['new, fully shuffled', cpu.new],
    ['new, natural order', cpu.newNatural],
    ['COPY', cpu.copy],
  ];
  return sides.map(([name, t]) => `${name} ${t ? range(t, 's') : 'not measured'}`).join(', ');
}
const perSecond = (count: number, t: Timing) => Math.round(count / (t.median / 1000)).toLocaleString('en-US');

export function renderMarkdown(results: BenchResults): string {
  const { machine, versions, scale, ingest, parity, migration, api } = results;
  const load = (l: number[]) => l.map((x) => x.toFixed(2)).join(' / ');
  const settings = Object.entries(results.postgres.settings)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  const lines = [
    '# Benchmarks',
    '',
    'The new system side by side with the legacy SQL on the same Postgres and the same data, written by',
    '`npm run bench` (scripts/bench/index.ts; docs/benchmarks.md says how it measures).',
    'Each figure is the median of several runs, with min–max.',
    '',
    `- **Date**: ${results.date} (the whole run took ${Math.round(results.seconds)} s)`,
    `- **Machine**: ${machine.cpus} cores (${machine.cpuModel}), ${machine.memoryGib} GiB memory; load average (1/5/15 min) ${load(machine.loadAverage.start)} at the start, ${load(machine.loadAverage.end)} at the end — the cores are shared with other work, so the figures are noisy`,
    `- **Versions**: Node ${versions.node}, PostgreSQL ${versions.postgres}, wrangler ${versions.wrangler}`,
    `- **Postgres**: ${results.postgres.embedded ? 'embedded (throwaway, as the tests run it)' : 'the server of DATABASE_URL'}; ${settings}`,
    `- **Scale**: ${scale.orders.toLocaleString('en-US')} orders, ${scale.products.toLocaleString('en-US')} products, seed ${scale.seed}, ${scale.days} days (${scale.period.firstDate} – ${scale.period.lastDate}, ${scale.timezone}): ${scale.jsonlLines.toLocaleString('en-US')} JSONL lines (${(scale.jsonlBytes / 2 ** 20).toFixed(0)} MiB), ${ingest.rows.toLocaleString('en-US')} raw rows`,
    `- **Runs**: ${results.runs.light} per query and refresh, ${results.runs.heavy} per ingest and migration`,
    '',
    '## Targets',
    '',
    ...targetsTable(results.targets),
    '',
    'Why a missed target is missed, with its profile: docs/benchmarks.md, "What limits the missed targets".',
    '',
    '## Ingest',
    '',
    '| path | wall time | lines/s | |',
    '|---|---|---|---|',
    `| legacy: ingest_product / ingest_order per object, delete_product | ${range(ingest.legacyMs)} | ${perSecond(ingest.lines, ingest.legacyMs)} | |`,
    `| new: the loader's streaming path, files fully shuffled | ${range(ingest.newMs)} | ${perSecond(ingest.lines, ingest.newMs)} | peak RSS of the loading process ${range(ingest.newPeakRssMib, 'MiB')} |`,
    `| new: the loader's streaming path, natural order | ${range(ingest.newNaturalMs)} | ${perSecond(ingest.lines, ingest.newNaturalMs)} | |`,
    `| raw COPY of the rows the loader wrote | ${range(ingest.copyMs)} | ${perSecond(ingest.lines, ingest.copyMs)} | ${perSecond(ingest.rows, ingest.copyMs)} rows/s |`,
    '',
    `CPU: the loader's process (the Worker side: reading, parsing, validating) ${range(ingest.loaderCpuMsPerMib, 'ms')} per MiB of JSONL (${(ingest.bytes / 2 ** 20).toFixed(0)} MiB). Database CPU seconds of each load (its backends, from /proc; steadier than wall time on shared cores): ${cpuLine(ingest.databaseCpuSeconds)}.`,
    '',
    '## Marts and dashboard queries',
    '',
    markdownTable(results.marts),
    '',
    '## Parity',
    '',
    `All checks of one parity run (window, six checks, differing-key bisection) over ${parity.datasetRows.toLocaleString('en-US')} mart rows, ${parity.windowOrders.toLocaleString('en-US')} orders in the window: ${range(parity.identical)} on identical data, ${range(parity.withDifferences)} with 2 % of the new mart rows missing.`,
  ];
  if (migration) {
    lines.push(
      '',
      '## Data migration',
      '',
      '| path | wall time | rows/s |',
      '|---|---|---|',
      `| migrate:legacy run (assess, snapshot, batches of ${migration.batchSize} with checkpoints) | ${range(migration.seconds, 's')} | ${range(migration.rowsPerSecond, 'rows/s')} |`,
      `| raw \`COPY … TO STDOUT \\| COPY … FROM STDIN\` pipe | ${range(migration.pipeSeconds, 's')} | ${range(migration.pipeRowsPerSecond, 'rows/s')} |`,
      '',
      `${migration.rows.toLocaleString('en-US')} rows; verify afterwards (not timed above) ${range(migration.verifySeconds, 's')}.`,
    );
  }
  lines.push('', '## API under load', '');
  if (api) {
    lines.push(
      `autocannon, ${api.connections} connections, ${api.seconds} s a run, against \`wrangler dev\` of the dashboard-api (workerd, Hyperdrive on the loaded database) with a local Access token for a master.`,
      '',
      '| endpoint | p50 latency | p99 latency | requests/s |',
      '|---|---|---|---|',
      ...api.endpoints.map(
        (a) =>
          `| ${a.name} (\`${a.path}\`) | ${range(a.p50Ms)} | ${range(a.p99Ms)} | ${range(a.requestsPerSecond, 'req/s')} |`,
      ),
    );
  } else {
    lines.push('Not measured in this run (--skip-api).');
  }
  return `${lines.join('\n')}\n`;
}

/** The targets as a markdown table: each a ratio to its peer, met or missed. */
export function targetsTable(targets: BenchResults['targets']): string[] {
  return [
    '| target | new | peer | ratio | goal | |',
    '|---|---|---|---|---|---|',
    ...targets.map(
      (t) =>
        `| ${t.name} | ${t.figure} | ${t.peer} | ${t.ratio} (${t.ratioOf}) | ${t.goal} | ${t.met ? 'met' : '**missed**'} |`,
    ),
  ];
}
