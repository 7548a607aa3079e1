/**
 * A finished run's files: its results JSON and its part of BENCHMARKS.md (the report, or its
 * scale's section beside the baseline's report). Shared by `npm run bench` and `npm run
 * bench:render`, which re-renders a run from its results file with the current report code.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { type FirstSyncBench, renderFirstSyncMarkdown } from './first-sync.ts';
import { withReport, withScaleSection } from './markdown-file.ts';
import { type BenchResults, evaluateTargets, renderMarkdown } from './report.ts';
import { compareScale, renderScaleSection, type ScaleComparison, scaleHeading } from './scale-report.ts';

export interface RunFiles {
  results: string;
  markdown: string;
}

/** Writes the results file and the run's part of the markdown; returns the evaluated results. */
export async function writeRunResults(
  run: Omit<BenchResults, 'targets'>,
  baseline: BenchResults | null,
  firstSync: FirstSyncBench | undefined,
  files: RunFiles,
): Promise<{ results: BenchResults; scaleComparison?: ScaleComparison }> {
  const results: BenchResults = { ...run, targets: evaluateTargets(run) };
  const scaleComparison = baseline ? compareScale(results, baseline) : undefined;
  await mkdir(dirname(files.results), { recursive: true });
  await writeFile(files.results, `${JSON.stringify({ ...results, firstSync, scaleComparison }, null, 2)}\n`);
  const report = renderMarkdown(results) + (firstSync ? renderFirstSyncMarkdown(firstSync, results.scale.orders) : '');
  // each run rewrites its own part of the file (the report, or its scale's section) and keeps the rest
  const previous = await readFile(files.markdown, 'utf8').catch(() => '');
  await writeFile(
    files.markdown,
    baseline && scaleComparison
      ? withScaleSection(
          previous,
          scaleHeading(scaleComparison.orders),
          renderScaleSection(results, baseline, scaleComparison),
          report,
        )
      : withReport(previous, report),
  );
  return { results, scaleComparison };
}
