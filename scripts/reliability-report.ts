/**
 * `npm run reliability:report [-- --write] [-- --from <vitest-json>]`: runs the reliability suite —
 * every test tagged `fault` or `bad-input` (vitest tags, vitest.config.ts) — with vitest's JSON
 * reporter, and counts what the tests themselves recorded (test/support/reliability.ts, carried in
 * each test's meta):
 *
 *   faults tried / survived           tests tagged fault / of them passed
 *   rows compared / lost / duplicated  summed from the faulted runs' comparisons with clean runs
 *   bad inputs tried / rejected / taken literally   summed from the bad-input tests
 *
 * It prints the figures as Markdown (per file, with the command that reproduces each), and with
 * --write puts them into RELIABILITY.md between its figure markers. --from counts an existing JSON
 * report instead of running the tests. Exit 1 when a tagged test failed or was skipped, or a
 * fault lost or duplicated a row; 2 on bad usage.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { PROJECT_ROOT } from './lib/migrations.ts';

const TAGS_FILTER = 'fault || bad-input';
const RELIABILITY_FILE = join(PROJECT_ROOT, 'RELIABILITY.md');
const START_MARKER = '<!-- reliability-figures:start -->';
const END_MARKER = '<!-- reliability-figures:end -->';

interface Recorded {
  tried?: number;
  rejected?: number;
  literal?: number;
  compared?: number;
  lost?: number;
  duplicated?: number;
}

interface AssertionResult {
  fullName: string;
  title: string;
  status: string;
  duration?: number;
  tags?: string[];
  meta?: { reliability?: Recorded };
}

interface JsonReport {
  startTime: number;
  testResults: { name: string; assertionResults: AssertionResult[] }[];
}

interface FileFigures {
  file: string;
  project: string;
  faults: { tried: number; survived: number; compared: number; lost: number; duplicated: number; unrecorded: number };
  inputs: { tests: number; tried: number; rejected: number; literal: number };
  failed: string[];
}

function projectOf(file: string): string {
  const workers = /^test\/workers\/([^/]+)\//.exec(file);
  return workers ? (workers[1] as string) : 'unit';
}

export function countReport(report: JsonReport): FileFigures[] {
  const files: FileFigures[] = [];
  for (const result of report.testResults) {
    const file = relative(PROJECT_ROOT, result.name);
    const figures: FileFigures = {
      file,
      project: projectOf(file),
      faults: { tried: 0, survived: 0, compared: 0, lost: 0, duplicated: 0, unrecorded: 0 },
      inputs: { tests: 0, tried: 0, rejected: 0, literal: 0 },
      failed: [],
    };
    for (const test of result.assertionResults) {
      const tags = test.tags ?? [];
      const isFault = tags.includes('fault');
      const isBadInput = tags.includes('bad-input');
      if (!isFault && !isBadInput) continue;
      const passed = test.status === 'passed';
      if (!passed) figures.failed.push(`${test.fullName} (${test.status})`);
      const recorded = test.meta?.reliability ?? {};
      if (isFault) {
        figures.faults.tried += 1;
        if (passed) figures.faults.survived += 1;
        if (!test.meta?.reliability) figures.faults.unrecorded += 1;
        figures.faults.compared += recorded.compared ?? 0;
        figures.faults.lost += recorded.lost ?? 0;
        figures.faults.duplicated += recorded.duplicated ?? 0;
      }
      if (isBadInput) {
        figures.inputs.tests += 1;
        // a bad-input test that counted nothing itself is one input, rejected when it passed
        const counted = (recorded.tried ?? 0) > 0;
        figures.inputs.tried += counted ? (recorded.tried ?? 0) : 1;
        figures.inputs.rejected += counted ? (recorded.rejected ?? 0) : passed ? 1 : 0;
        figures.inputs.literal += recorded.literal ?? 0;
      }
    }
    if (figures.faults.tried > 0 || figures.inputs.tests > 0) files.push(figures);
  }
  return files.sort((a, b) => a.file.localeCompare(b.file));
}

function sum(files: FileFigures[]) {
  const total = {
    faultsTried: 0,
    faultsSurvived: 0,
    compared: 0,
    lost: 0,
    duplicated: 0,
    inputTests: 0,
    inputsTried: 0,
    inputsRejected: 0,
    inputsLiteral: 0,
    failed: [] as string[],
    unrecorded: 0,
  };
  for (const f of files) {
    total.faultsTried += f.faults.tried;
    total.faultsSurvived += f.faults.survived;
    total.compared += f.faults.compared;
    total.lost += f.faults.lost;
    total.duplicated += f.faults.duplicated;
    total.unrecorded += f.faults.unrecorded;
    total.inputTests += f.inputs.tests;
    total.inputsTried += f.inputs.tried;
    total.inputsRejected += f.inputs.rejected;
    total.inputsLiteral += f.inputs.literal;
    total.failed.push(...f.failed.map((name) => `${f.file} › ${name}`));
  }
  return total;
}

function commandFor(file: FileFigures): string {
  return `npx vitest run --project ${file.project} ${file.file}`;
}

export function renderFigures(files: FileFigures[], run: { at: string; commit: string; seconds: number }): string {
  const t = sum(files);
  const all = `npm run reliability:report`;
  const lines = [
    `Measured ${run.at} at commit \`${run.commit}\` (the tagged tests took ${Math.round(run.seconds)} s).`,
    '',
    '| figure | value | reproduce |',
    '|---|---|---|',
    `| faults tried / survived | **${t.faultsTried} / ${t.faultsSurvived}** | \`${all}\` |`,
    `| rows compared with a clean run | ${t.compared} | \`${all}\` |`,
    `| rows lost | **${t.lost}** | \`${all}\` |`,
    `| rows duplicated | **${t.duplicated}** | \`${all}\` |`,
    `| bad inputs tried / rejected (4xx or quarantined, nothing changed) | **${t.inputsTried} / ${t.inputsRejected}** | \`${all}\` |`,
    `| hostile but valid text tried / taken literally | ${t.inputsLiteral} / ${t.inputsLiteral} | \`${all}\` |`,
    '',
    `Bad inputs tried = rejected + taken literally (${t.inputsRejected} + ${t.inputsLiteral} = ${t.inputsRejected + t.inputsLiteral} of ${t.inputsTried}), over ${t.inputTests} tests.`,
    '',
    '| test file | faults tried / survived | rows compared / lost / duplicated | bad inputs tried / rejected / literal | reproduce |',
    '|---|---|---|---|---|',
    ...files.map(
      (f) =>
        `| \`${f.file}\` | ${f.faults.tried ? `${f.faults.tried} / ${f.faults.survived}` : '–'} | ${
          f.faults.tried ? `${f.faults.compared} / ${f.faults.lost} / ${f.faults.duplicated}` : '–'
        } | ${f.inputs.tests ? `${f.inputs.tried} / ${f.inputs.rejected} / ${f.inputs.literal}` : '–'} | \`${commandFor(f)}\` |`,
    ),
  ];
  if (t.failed.length > 0) lines.push('', 'Failed or skipped:', ...t.failed.map((name) => `- ${name}`));
  if (t.unrecorded > 0) lines.push('', `${t.unrecorded} fault test(s) recorded no row comparison.`);
  return lines.join('\n');
}

async function runVitest(outputFile: string, extra: string[]): Promise<number> {
  const args = [
    'run',
    '--tags-filter',
    TAGS_FILTER,
    '--reporter=dot',
    '--reporter=json',
    `--outputFile.json=${outputFile}`,
    ...extra,
  ];
  const child = spawn(join(PROJECT_ROOT, 'node_modules/.bin/vitest'), args, { cwd: PROJECT_ROOT, stdio: 'inherit' });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => resolve(code ?? 1));
  });
}

function currentCommit(): string {
  try {
    const sha = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: PROJECT_ROOT }).toString().trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: PROJECT_ROOT })
      .toString()
      .trim();
    return dirty ? `${sha} + uncommitted changes` : sha;
  } catch {
    return 'unknown';
  }
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { write: { type: 'boolean', default: false }, from: { type: 'string' } },
  });
  const work = await mkdtemp(join(tmpdir(), 'reliability-'));
  try {
    const outputFile = values.from ?? join(work, 'vitest.json');
    const started = Date.now();
    if (!values.from) {
      const code = await runVitest(outputFile, positionals);
      console.error(`vitest exited with ${code}`);
    }
    const report = JSON.parse(await readFile(outputFile, 'utf8')) as JsonReport;
    const files = countReport(report);
    const seconds = values.from ? 0 : (Date.now() - started) / 1000;
    const figures = renderFigures(files, {
      at: new Date(report.startTime || started).toISOString().replace(/\.\d+Z$/, 'Z'),
      commit: currentCommit(),
      seconds,
    });
    console.log(figures);
    if (values.write) {
      const text = await readFile(RELIABILITY_FILE, 'utf8');
      const start = text.indexOf(START_MARKER);
      const end = text.indexOf(END_MARKER);
      if (start === -1 || end < start) throw new Error(`${RELIABILITY_FILE} has no ${START_MARKER} … ${END_MARKER}`);
      await writeFile(
        RELIABILITY_FILE,
        `${text.slice(0, start + START_MARKER.length)}\n${figures}\n${text.slice(end)}`,
      );
      console.error(`figures written to ${relative(process.cwd(), RELIABILITY_FILE)}`);
    }
    const total = sum(files);
    return total.failed.length > 0 || total.lost > 0 || total.duplicated > 0 || total.faultsTried === 0 ? 1 : 0;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : String(error));
      process.exit(2);
    },
  );
}
