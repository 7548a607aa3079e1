/**
 * `npm run reliability:report [-- --write] [-- --from <vitest-json>] [-- --events <file>]`: runs the
 * reliability suite — every test tagged `fault`, `bad-input` or `fuzz` (vitest tags,
 * vitest.config.ts) — with vitest's JSON reporter, and counts the events the tests recorded
 * (test/support/reliability.ts, carried in each test's meta), never the tests themselves:
 *
 *   faults / survived                  fault tests that recorded their fault firing / of them passed
 *   rows compared / lost / duplicated  summed from the recorded table comparisons with clean runs
 *   inputs sent / how each ended       one event per input: rejected, absorbed, literal, normalised
 *   fuzz runs                          one per fast-check run, per property
 *
 * It prints the figures as Markdown (per file, with the command that reproduces each), with --write
 * puts them into RELIABILITY.md between its figure markers, with --events writes every recorded
 * event (one JSON per line, with its file and test) so each total can be traced. --from counts an
 * existing JSON report instead of running the tests. Exit 1, printing one line per cause, when a
 * tagged test failed or was skipped, recorded nothing of its kind, an input was not held, or a
 * fault lost or duplicated a row; 2 on bad usage.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import type { InputKind, ReliabilityRecord } from '../test/support/reliability.ts';
import { PROJECT_ROOT } from './lib/migrations.ts';

const TAGS_FILTER = 'fault || bad-input || fuzz';
const RELIABILITY_FILE = join(PROJECT_ROOT, 'RELIABILITY.md');
const START_MARKER = '<!-- reliability-figures:start -->';
const END_MARKER = '<!-- reliability-figures:end -->';

interface AssertionResult {
  fullName: string;
  title: string;
  status: string;
  duration?: number;
  tags?: string[];
  failureMessages?: string[];
  meta?: { reliability?: Partial<ReliabilityRecord> };
}

interface JsonReport {
  startTime: number;
  testResults: { name: string; assertionResults: AssertionResult[] }[];
}

/** "88 files, 700 tests, all passed" for the header of figures counted from a saved report. */
function reportSize(report: JsonReport): string {
  const tests = report.testResults.flatMap((file) => file.assertionResults);
  const failed = tests.filter((test) => test.status === 'failed').length;
  return `${report.testResults.length} files, ${tests.length} tests, ${failed === 0 ? 'all passed' : `${failed} failed`}`;
}

export interface FileFigures {
  file: string;
  project: string;
  faults: { tests: number; survived: number; events: number; compared: number; lost: number; duplicated: number };
  inputs: InputFigures;
  fuzz: { properties: number; runs: number; minRuns: number };
  /** Tagged tests that recorded nothing of their kind: they count nothing, and fail the report. */
  unrecorded: string[];
  failed: string[];
}

/** One recorded event with the test it came from (`--events` writes these, one JSON per line). */
export interface TracedEvent {
  file: string;
  test: string;
  kind: 'input' | 'fault' | 'comparison' | 'fuzz';
  event: unknown;
}

/** Per kind of input: how many were sent, and how each ended (`not held` when its test failed). */
type InputFigures = { tests: number } & Record<InputKind, { sent: number } & Record<string, number>>;

const noInputs = (): InputFigures => ({
  tests: 0,
  refusal: { sent: 0, rejected: 0 },
  duplicate: { sent: 0, absorbed: 0 },
  text: { sent: 0, literal: 0, normalised: 0 },
});
const KINDS: InputKind[] = ['refusal', 'duplicate', 'text'];

function projectOf(file: string): string {
  const workers = /^test\/workers\/([^/]+)\//.exec(file);
  return workers ? (workers[1] as string) : 'unit';
}

export function countReport(report: JsonReport, trace: TracedEvent[] = []): FileFigures[] {
  const files: FileFigures[] = [];
  for (const result of report.testResults) {
    const file = relative(PROJECT_ROOT, result.name);
    const figures: FileFigures = {
      file,
      project: projectOf(file),
      faults: { tests: 0, survived: 0, events: 0, compared: 0, lost: 0, duplicated: 0 },
      inputs: noInputs(),
      fuzz: { properties: 0, runs: 0, minRuns: Number.POSITIVE_INFINITY },
      unrecorded: [],
      failed: [],
    };
    let tagged = false;
    for (const test of result.assertionResults) {
      const tags = test.tags ?? [];
      const isFault = tags.includes('fault');
      const isBadInput = tags.includes('bad-input');
      const isFuzz = tags.includes('fuzz');
      if (!isFault && !isBadInput && !isFuzz) continue;
      tagged = true;
      const passed = test.status === 'passed';
      if (!passed) {
        const why = test.failureMessages?.[0]?.split('\n')[0];
        figures.failed.push(`${test.fullName} (${test.status}${why ? `: ${why}` : ''})`);
      }
      const recorded = test.meta?.reliability ?? {};
      const inputs = recorded.inputs ?? [];
      const faults = recorded.faults ?? [];
      const comparisons = recorded.comparisons ?? [];
      const fuzz = Object.entries(recorded.fuzz ?? {});
      const trace1 = (kind: TracedEvent['kind'], event: unknown) =>
        trace.push({ file, test: test.fullName, kind, event });
      const missing: string[] = [];
      if (isFault) {
        if (faults.length === 0) missing.push('no fault event');
        else {
          figures.faults.tests += 1;
          if (passed) figures.faults.survived += 1;
        }
        figures.faults.events += faults.length;
        for (const c of comparisons) {
          figures.faults.compared += c.compared;
          figures.faults.lost += c.lost;
          figures.faults.duplicated += c.duplicated;
        }
      }
      if (isBadInput) {
        if (inputs.length === 0) missing.push('no input event');
        else figures.inputs.tests += 1;
        for (const event of inputs) {
          const kind = figures.inputs[event.kind];
          kind.sent += 1;
          kind[event.outcome] = (kind[event.outcome] ?? 0) + 1;
        }
      }
      if (isFuzz) {
        if (fuzz.length === 0) missing.push('no fuzz run');
        for (const [, runs] of fuzz) {
          figures.fuzz.properties += 1;
          figures.fuzz.runs += runs;
          figures.fuzz.minRuns = Math.min(figures.fuzz.minRuns, runs);
        }
      }
      if (missing.length > 0) figures.unrecorded.push(`${test.fullName} (${missing.join(', ')})`);
      for (const event of inputs) trace1('input', event);
      for (const event of faults) trace1('fault', event);
      for (const event of comparisons) trace1('comparison', event);
      for (const [property, runs] of fuzz) trace1('fuzz', { property, runs });
    }
    if (tagged) files.push(figures);
  }
  return files.sort((a, b) => a.file.localeCompare(b.file));
}

function sum(files: FileFigures[]) {
  const total = {
    faultTests: 0,
    faultsSurvived: 0,
    faultEvents: 0,
    compared: 0,
    lost: 0,
    duplicated: 0,
    inputTests: 0,
    inputs: noInputs(),
    fuzzProperties: 0,
    fuzzRuns: 0,
    fuzzMinRuns: Number.POSITIVE_INFINITY,
    failed: [] as string[],
    unrecorded: [] as string[],
  };
  for (const f of files) {
    total.faultTests += f.faults.tests;
    total.faultsSurvived += f.faults.survived;
    total.faultEvents += f.faults.events;
    total.compared += f.faults.compared;
    total.lost += f.faults.lost;
    total.duplicated += f.faults.duplicated;
    total.inputTests += f.inputs.tests;
    for (const kind of KINDS) {
      for (const [outcome, n] of Object.entries(f.inputs[kind])) {
        total.inputs[kind][outcome] = (total.inputs[kind][outcome] ?? 0) + n;
      }
    }
    total.fuzzProperties += f.fuzz.properties;
    total.fuzzRuns += f.fuzz.runs;
    total.fuzzMinRuns = Math.min(total.fuzzMinRuns, f.fuzz.minRuns);
    total.failed.push(...f.failed.map((name) => `${f.file} › ${name}`));
    total.unrecorded.push(...f.unrecorded.map((name) => `${f.file} › ${name}`));
  }
  return total;
}

/**
 * Why the report fails (exit 1), one line each; empty when it passes. `whole` = the whole
 * suite ran (no file filter), so it must have recorded at least one fault.
 */
export function problems(files: FileFigures[], { whole = true } = {}): string[] {
  const t = sum(files);
  return [
    ...t.failed.map((name) => `FAILED: ${name}`),
    ...t.unrecorded.map((name) => `RECORDED NOTHING: ${name}`),
    ...(t.lost > 0 ? [`ROWS LOST: ${t.lost}`] : []),
    ...(t.duplicated > 0 ? [`ROWS DUPLICATED: ${t.duplicated}`] : []),
    ...KINDS.flatMap((kind) => {
      const { sent, ...ended } = t.inputs[kind];
      const held = Object.entries(ended).reduce((a, [outcome, count]) => a + (outcome === 'not held' ? 0 : count), 0);
      return held < sent ? [`INPUTS NOT HELD: ${sent - held} of ${sent} ${kind} inputs`] : [];
    }),
    ...(whole && t.faultTests === 0 ? ['NO FAULT RECORDED'] : []),
  ];
}

function commandFor(file: FileFigures): string {
  return `npx vitest run --project ${file.project} ${file.file}`;
}

const of = (part: number, whole: number) => `${part} / ${whole}`;

export function renderFigures(
  files: FileFigures[],
  run: { at: string; commit: string; source: string; whole?: boolean },
): string {
  const t = sum(files);
  const all = 'npm run reliability:report';
  const { refusal, duplicate, text } = t.inputs;
  const sent = refusal.sent + duplicate.sent + text.sent;
  const n = (figure: number | undefined) => figure ?? 0;
  const lines = [
    `Measured ${run.at} at commit \`${run.commit}\`, ${run.source}.`,
    '',
    '| figure | tried / held | reproduce |',
    '|---|---|---|',
    `| faults injected (tests that recorded the fault firing) / survived | **${of(t.faultTests, t.faultsSurvived)}** (${t.faultEvents} fault events) | \`${all}\` |`,
    `| rows compared with a clean run / lost / duplicated | **${t.compared} / ${t.lost} / ${t.duplicated}** | \`${all}\` |`,
    `| bad inputs sent / rejected (4xx or quarantined, nothing changed) | **${of(refusal.sent, n(refusal.rejected))}** | \`${all}\` |`,
    `| duplicates sent / absorbed (2xx, nothing changed) | **${of(duplicate.sent, n(duplicate.absorbed))}** | \`${all}\` |`,
    `| hostile but valid text sent / read back byte for byte / normalised (U+FFFD, tag-name case) | **${text.sent} / ${n(text.literal)} / ${n(text.normalised)}** | \`${all}\` |`,
    `| fuzz properties / runs (fewest runs of one property) | **${t.fuzzProperties} / ${t.fuzzRuns}** (${Number.isFinite(t.fuzzMinRuns) ? t.fuzzMinRuns : 0}) | \`${all}\`; 10 000 runs each: \`npm run fuzz\` |`,
    '',
    `Inputs: ${sent} sent over ${t.inputTests} tests. Every figure is a count of events the tests recorded (what was sent, what came back); \`${all} -- --events <file>\` writes them one per line.`,
    '',
    '| test file | faults / survived | rows compared / lost / duplicated | inputs sent / rejected / absorbed / literal / normalised | fuzz runs | reproduce |',
    '|---|---|---|---|---|---|',
    ...files.map(
      (f) =>
        `| \`${f.file}\` | ${f.faults.tests ? of(f.faults.tests, f.faults.survived) : '–'} | ${
          f.faults.tests ? `${f.faults.compared} / ${f.faults.lost} / ${f.faults.duplicated}` : '–'
        } | ${
          f.inputs.tests
            ? `${f.inputs.refusal.sent + f.inputs.duplicate.sent + f.inputs.text.sent} / ${n(f.inputs.refusal.rejected)} / ${n(
                f.inputs.duplicate.absorbed,
              )} / ${n(f.inputs.text.literal)} / ${n(f.inputs.text.normalised)}`
            : '–'
        } | ${f.fuzz.runs ? `${f.fuzz.runs} (${f.fuzz.properties} properties)` : '–'} | \`${commandFor(f)}\` |`,
    ),
  ];
  const failing = problems(files, { whole: run.whole });
  if (failing.length > 0) lines.push('', 'The report fails:', ...failing.map((line) => `- ${line}`));
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
    options: {
      write: { type: 'boolean', default: false },
      from: { type: 'string' },
      events: { type: 'string' },
    },
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
    const trace: TracedEvent[] = [];
    const files = countReport(report, trace);
    // a saved report says what it counted; a fresh run says how long it took
    const source = values.from
      ? `counted (\`--from\`) from a saved vitest report (${reportSize(report)})`
      : `the tagged tests took ${Math.round((Date.now() - started) / 1000)} s`;
    const figures = renderFigures(files, {
      at: new Date(report.startTime || started).toISOString().replace(/\.\d+Z$/, 'Z'),
      commit: currentCommit(),
      source,
      whole: positionals.length === 0,
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
    if (values.events) {
      await writeFile(values.events, trace.map((event) => `${JSON.stringify(event)}\n`).join(''));
      console.error(`${trace.length} recorded events written to ${values.events}`);
    }
    const failing = problems(files, { whole: positionals.length === 0 });
    for (const line of failing) console.error(line);
    return failing.length > 0 ? 1 : 0;
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
