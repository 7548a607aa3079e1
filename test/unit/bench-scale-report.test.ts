/**
 * The bench's scale report (a run against a smaller run's results, scripts/bench/scale-report.ts)
 * and BENCHMARKS.md's parts (scripts/bench/markdown-file.ts): ratios, met / missed, the steps that
 * grow worse than linearly, and each run rewriting only its own part of the file.
 */
import { describe, expect, test } from 'vitest';
import { STEP_SECTION, withReport, withScaleSection } from '../../scripts/bench/markdown-file.ts';
import type { Timing } from '../../scripts/bench/marts.ts';
import { type BenchResults, evaluateTargets } from '../../scripts/bench/report.ts';
import { compareScale, renderScaleSection, scaleHeading } from '../../scripts/bench/scale-report.ts';

const t = (median: number): Timing => ({ median, min: median, max: median, runs: 1 });

/** A results file whose every figure is `ms` times the factor of its step. */
function results(orders: number, grow: (step: string) => number): BenchResults {
  const pair = (name: string, ms: number) => ({
    name,
    legacyMs: t(ms * 2 * grow(`legacy ${name}`)),
    newMs: t(ms * grow(name)),
    speedup: 2,
  });
  const partial = {
    date: '2026-12-07T05:00:00.000Z',
    machine: { cpus: 2, cpuModel: 'x', memoryGib: 24, loadAverage: { start: [1, 1, 1], end: [2, 2, 2] } },
    versions: { node: 'v24', postgres: '18', wrangler: '4' },
    postgres: { embedded: true, settings: {} },
    scale: {
      orders,
      products: 2000,
      seed: 7,
      days: 365,
      timezone: 'America/New_York',
      period: { firstDate: '2025-12-07', lastDate: '2026-12-06' },
      jsonlLines: orders * 3,
      jsonlBytes: orders * 1500,
    },
    runs: { light: 1, heavy: 1 },
    seconds: orders / 1000,
    ingest: {
      lines: orders * 3,
      bytes: orders * 1500,
      rowsByTable: {},
      rows: orders * 3.5,
      legacyMs: t(1000 * grow('legacy ingest')),
      newMs: t(600 * grow('ingest shuffled')),
      newNaturalMs: t(500 * grow('ingest natural')),
      copyMs: t(300 * grow('copy')),
      databaseCpuSeconds: { legacy: null, new: null, newNatural: null, copy: null },
      loaderCpuMsPerMib: t(40),
      newPeakRssMib: t(200),
      legacyUrl: '',
      newUrl: '',
    },
    marts: [
      pair('full refresh', 100),
      pair('incremental refresh (1000 orders over 10 days)', 10),
      pair('dashboard summary (30 days)', 5),
      pair('top 100 products by net sales (30 days)', 8),
    ],
    parity: { identical: t(1500 * grow('parity')), withDifferences: t(1600), datasetRows: 1, windowOrders: 1 },
    migration: {
      rows: orders * 4,
      batchSize: 5000,
      seconds: t(20 * grow('migration')),
      rowsPerSecond: t(1),
      pipeSeconds: t(10 * grow('pipe')),
      pipeRowsPerSecond: t(2),
      verifySeconds: t(1),
    },
    api: null,
  };
  return { ...partial, targets: evaluateTargets(partial) };
}

describe('compareScale', () => {
  const baseline = results(200_000, () => 1);
  const big = results(1_000_000, (step) => (step === 'full refresh' ? 6 : step === 'parity' ? 5.2 : 5));
  const scale = compareScale(big, baseline);

  test('sets each step of the new system against the baseline, met within 1.1 × the data ratio', () => {
    expect(scale).toMatchObject({ orders: 1_000_000, baselineOrders: 200_000, dataRatio: 5, limit: 5.5 });
    expect(scale.figures.map((f) => [f.step, f.ratio, f.met, f.superlinear])).toEqual([
      ['ingest (fully shuffled files)', 5, true, false],
      ['ingest (natural order)', 5, true, false],
      ['ingest (fully shuffled files), loader process CPU', 5, true, false],
      ['full refresh', 6, false, true],
      ['incremental refresh (1000 orders over 10 days)', 5, true, false],
      ['dashboard summary (30 days)', 5, true, false],
      ['top 100 products (30 days)', 5, true, false],
      ['all parity checks (one run)', 5.2, true, true],
      ['data migration (migrate:legacy run)', 5, true, false],
    ]);
    expect(scale.figures[0]?.peer).toEqual({ name: 'legacy ingest', value: 5000, baseline: 1000, ratio: 5 });
    expect(scale.figures[3]).toMatchObject({ value: 600, baseline: 100, unit: 'ms', kind: 'wall' });
    expect(scale.figures[2]).toMatchObject({ kind: 'cpu', unit: 's', value: 57.22, baseline: 11.44 });
  });

  test('renders a section naming the steps that grow worse than linearly', () => {
    const text = renderScaleSection(big, baseline, scale);
    expect(text.startsWith(`${scaleHeading(1_000_000)} (against 200,000)\n`)).toBe(true);
    expect(text).toContain('| full refresh | 600 ms | 100 ms | 6 (worse than linear) | ≤ 5.5 | **missed** |');
    expect(text).toContain('Worse than linear (ratio above 5): full refresh 6× (legacy 5×); all parity checks');
  });

  test('the parity budget grows with the store: 2 s per 200 000 orders', () => {
    const target = (r: BenchResults) => r.targets.find((x) => x.name === 'all parity checks (one run)');
    expect(target(baseline)).toMatchObject({ peer: 'budget 2000 ms', ratio: 0.75 });
    expect(target(big)).toMatchObject({ peer: 'budget 10000 ms', ratio: 0.78, met: true });
  });
});

describe('BENCHMARKS.md parts', () => {
  const steps = `${STEP_SECTION}\n\nby hand\n`;
  const report = (n: number) => `# Benchmarks\n\nrun ${n}\n\n## Targets\n\nt${n}\n`;
  const section = (n: number) => `${scaleHeading(1_000_000)} (against 200,000)\n\nscale ${n}\n`;

  test('a scale run adds its section before the step section, then replaces it', () => {
    const once = withScaleSection(`${report(1)}\n${steps}`, scaleHeading(1_000_000), section(1), report(9));
    expect(once).toBe(`${report(1)}\n${section(1)}\n${steps}`);
    const twice = withScaleSection(once, scaleHeading(1_000_000), section(2), report(9));
    expect(twice).toBe(`${report(1)}\n${section(2)}\n${steps}`);
  });

  test('a scale run with no file yet writes its own report, then its section', () => {
    expect(withScaleSection('', scaleHeading(1_000_000), section(1), report(9))).toBe(`${report(9)}\n${section(1)}`);
  });

  test('a baseline run rewrites the report and keeps the scale and step sections', () => {
    const before = `${report(1)}\n## By hand\n\nx\n\n${section(1)}\n${steps}`;
    expect(withReport(before, report(2))).toBe(`${report(2)}\n${section(1)}\n${steps}`);
  });
});
