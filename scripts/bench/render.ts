/**
 * `npm run bench:render -- <results.json> [--baseline <results.json>] [--markdown BENCHMARKS.md]`
 *
 * Re-renders a finished `npm run bench` run's part of BENCHMARKS.md from its results file, with the
 * targets evaluated by the current report code: a change to how figures are reported needs no new
 * run of the benchmark (which takes minutes at 200 000 orders and half an hour at 1 000 000).
 */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { PROJECT_ROOT } from '../lib/migrations.ts';
import type { FirstSyncBench } from './first-sync.ts';
import type { BenchResults } from './report.ts';
import { writeRunResults } from './write-results.ts';

const USAGE = 'usage: npm run bench:render -- <results.json> [--baseline <results.json>] [--markdown BENCHMARKS.md]';

async function readResults(path: string): Promise<BenchResults & { firstSync?: FirstSyncBench }> {
  try {
    return JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new Error(`${path}: not a bench results file (${(error as Error).message})\n${USAGE}`);
  }
}

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      baseline: { type: 'string' },
      markdown: { type: 'string', default: join(PROJECT_ROOT, 'BENCHMARKS.md') },
    },
  });
  const [path] = positionals;
  if (!path || positionals.length > 1) throw new Error(USAGE);
  const { targets: _, firstSync, ...run } = await readResults(resolve(path));
  const baseline = values.baseline ? await readResults(resolve(values.baseline)) : null;
  const { results } = await writeRunResults(run as Omit<BenchResults, 'targets'>, baseline, firstSync, {
    results: resolve(path),
    markdown: resolve(values.markdown),
  });
  for (const t of results.targets)
    console.error(`  ${t.met ? 'met   ' : 'MISSED'} ${t.name}: ${t.ratio} (${t.ratioOf}), goal ${t.goal}`);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error((error as Error).message);
  process.exit(2);
});
