/**
 * Parity-run benchmark: the whole `runParityChecks` (window, six checks, differing-key bisection)
 * on a generated store loaded into both databases through their real paths. The benchmark script
 * (npm run bench) calls `benchParity`; run alone it loads the store first:
 *
 *   DATABASE_URL=… LEGACY_DATABASE_URL=… node scripts/bench/parity.ts [--orders 200000]
 *     [--products 2000] [--days 90] [--seed 7] [--runs 5] [--skip-load]
 *
 * The two databases must be empty (migrated new schema; legacy schema loaded) unless --skip-load.
 * Each run must pass, and a second measurement with a planted discrepancy must find it, so the
 * figures never come from a run that skipped its work.
 */
import { classifyProducts } from '../../workers/shared/marts/classification.ts';
import { refreshPerformanceDataset } from '../../workers/shared/marts/performance-dataset.ts';
import { type ParityRun, runParityChecks } from '../../workers/shared/parity/runner.ts';
import {
  benchCommandLine,
  loadBenchStore,
  type MartBenchDatabases,
  summarizeTimings,
  type Timing,
  withBenchDatabases,
} from './marts.ts';

export interface ParityBenchResult {
  /** A run on identical data: every check passes. */
  identical: Timing;
  /** A run where 2% of the new mart rows are missing: the bisection has keys to find. */
  withDifferences: Timing;
  datasetRows: number;
  windowOrders: number;
}

/** Refreshes and classifies both sides (the nightly jobs) and records a completed sync on each. */
export async function prepareParityBench({ legacy, next }: MartBenchDatabases): Promise<void> {
  await legacy`select refresh_mart_performance_metrics()`;
  await legacy`select classify_products()`;
  await refreshPerformanceDataset(next);
  await classifyProducts(next);
  await legacy`insert into sync_runs (kind, status, started_at, finished_at) values ('full', 'succeeded', now(), now())`;
  await next`insert into procedure_execution (procedure_kind, status, trigger_source, started_at, finished_at)
             values ('full', 'succeeded', 'bench', now(), now())`;
}

async function timeRuns(
  databases: MartBenchDatabases,
  runs: number,
  expect: (run: ParityRun) => void,
): Promise<Timing> {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    const run = await runParityChecks(databases.legacy, databases.next);
    samples.push(performance.now() - started);
    expect(run);
  }
  return summarizeTimings(samples);
}

export async function benchParity(
  databases: MartBenchDatabases,
  options: { runs: number },
): Promise<ParityBenchResult> {
  const { legacy, next } = databases;
  const identical = await timeRuns(databases, options.runs, (run) => {
    if (run.verdict !== 'pass') {
      throw new Error(
        `the parity run on identical data did not pass: ${JSON.stringify(run.checks.map((c) => [c.name, c.verdict, c.details.summary]))}`,
      );
    }
  });
  // Plant a discrepancy the bisection has to locate, then put the rows back. The removed rows wait
  // in a table of the database (not in Node: at 1M orders they are more than one INSERT's parameters).
  await next`drop table if exists bench_parity_removed`;
  await next`create unlogged table bench_parity_removed as
    select * from performance_measurement_dataset
    where (material_artifact_id + (measurement_date - date '2000-01-01')) % 50 = 0`;
  await next`delete from performance_measurement_dataset d using bench_parity_removed r
    where d.material_artifact_id = r.material_artifact_id and d.measurement_date = r.measurement_date`;
  let withDifferences: Timing;
  try {
    withDifferences = await timeRuns(databases, options.runs, (run) => {
      const dataset = run.checks.find((c) => c.name === 'dataset_row_count');
      if (dataset?.verdict !== 'fail' || (dataset.details.differing_keys as unknown[]).length === 0) {
        throw new Error('the planted discrepancy was not found');
      }
    });
  } finally {
    await next`insert into performance_measurement_dataset select * from bench_parity_removed`;
    await next`drop table bench_parity_removed`;
  }
  const [dataset] = await next<{ n: number }[]>`select count(*)::int as n from performance_measurement_dataset`;
  const [orders] = await legacy<{ n: number }[]>`
    select count(*)::int as n from orders where processed_at > now() - interval '31 days'`;
  return { identical, withDifferences, datasetRows: dataset?.n ?? 0, windowOrders: orders?.n ?? 0 };
}

async function main(): Promise<void> {
  // 90 days ending yesterday by default: the parity window (the last 30 days) holds a full share of the sales.
  const { options, runs, skipLoad } = benchCommandLine(90);
  await withBenchDatabases(async (databases) => {
    if (!skipLoad) {
      const started = performance.now();
      await loadBenchStore(databases, options);
      await prepareParityBench(databases);
      console.error(
        `loaded and refreshed ${options.orders} orders in both databases in ${Math.round(performance.now() - started)} ms`,
      );
    }
    const result = await benchParity(databases, { runs });
    console.log(JSON.stringify({ options, result }, null, 2));
    console.log(
      `parity run, ${options.orders} orders (${result.datasetRows} mart rows, ${result.windowOrders} orders in the window): ` +
        `${result.identical.median} ms median on identical data, ${result.withDifferences.median} ms with 2% of the mart rows missing`,
    );
  });
}

if (import.meta.main) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
