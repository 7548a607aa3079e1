/**
 * `npm run bench` at a tiny scale, as a smoke test: it runs end to end (ingest, marts, parity,
 * migration, the API under wrangler dev for a second) and writes a report of the right shape.
 * Never a timed assertion: the figures are only checked to be there, not how big they are.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import type { BenchResults } from '../../scripts/bench/report.ts';
import { PROJECT_ROOT } from '../../scripts/lib/migrations.ts';

const run = promisify(execFile);
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bench-smoke-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const timing = { median: expect.any(Number), min: expect.any(Number), max: expect.any(Number), runs: 1 };

test('a tiny bench run writes results.json and BENCHMARKS.md with every target', { timeout: 300_000 }, async () => {
  const results = join(dir, 'results.json');
  const markdown = join(dir, 'BENCHMARKS.md');
  const adminUrl = inject('postgresAdminUrl');
  await run(
    process.execPath,
    [
      'scripts/bench/index.ts',
      ...['--orders', '300', '--products', '40', '--runs', '1'],
      ...['--api-seconds', '1', '--api-connections', '2'],
      ...['--results', results, '--markdown', markdown],
    ],
    { cwd: PROJECT_ROOT, env: { ...process.env, DATABASE_URL: adminUrl, LEGACY_DATABASE_URL: adminUrl } },
  );
  const report = JSON.parse(await readFile(results, 'utf8')) as BenchResults;

  expect(report.scale).toMatchObject({ orders: 300, products: 40 });
  expect(report.scale.jsonlLines).toBeGreaterThan(300);
  expect(report.versions).toEqual({
    node: process.version,
    postgres: expect.any(String),
    wrangler: expect.any(String),
  });
  expect(report.machine.loadAverage.start).toHaveLength(3);
  expect(report.ingest).toMatchObject({
    legacyMs: timing,
    newMs: timing,
    newNaturalMs: timing,
    copyMs: timing,
    loaderCpuMsPerMib: timing,
    newPeakRssMib: timing,
  });
  expect(report.ingest.rowsByTable.act_of_sale).toBe(300);
  expect(report.marts.map((m) => m.name)).toEqual([
    'full refresh',
    'incremental refresh (1000 orders over 10 days)',
    'classify products',
    'dashboard summary (30 days)',
    'top 100 products by net sales (30 days)',
    'sales time series, all products, by day (90 days)',
    'sales time series, one product, by week (90 days)',
  ]);
  expect(report.parity).toMatchObject({ identical: timing, withDifferences: timing });
  expect(report.migration).toMatchObject({ seconds: timing, pipeSeconds: timing });
  expect(report.migration?.rows).toBeGreaterThan(report.ingest.rows);
  expect(report.api?.endpoints.map((e) => e.path)).toEqual([
    '/api/products',
    '/api/dashboard/summary',
    '/api/dashboard/top-products',
  ]);
  for (const endpoint of report.api?.endpoints ?? []) {
    expect(endpoint).toMatchObject({ p50Ms: timing, p99Ms: timing, requestsPerSecond: timing });
    expect(endpoint.requests).toBeGreaterThan(0);
  }

  const targets = report.targets.map((t) => t.name);
  expect(targets).toEqual([
    'ingest vs the legacy ingest (fully shuffled files)',
    'ingest vs the legacy ingest (natural order)',
    'ingest (fully shuffled) within 2× of a raw COPY of the same rows',
    'ingest (fully shuffled) within 1.25× of a raw COPY of the same rows',
    'full refresh',
    'incremental refresh vs the legacy 10-day range refresh',
    'dashboard summary',
    'top products',
    'all parity checks (one run)',
    'data migration vs a raw COPY pipe',
  ]);
  for (const target of report.targets) {
    expect(Number.isFinite(target.ratio)).toBe(true);
    expect(typeof target.met).toBe('boolean');
  }

  const text = await readFile(markdown, 'utf8');
  expect(text).toContain('300 orders, 40 products');
  for (const target of report.targets) {
    expect(text).toContain(
      `| ${target.name} | ${target.figure} | ${target.peer} | ${target.ratio} (${target.ratioOf})`,
    );
  }
  expect(text).toContain('| products list (`/api/products`) |');
});
