/**
 * scripts/reliability-report.ts counts the events the tagged tests recorded: a synthetic vitest
 * JSON report in, the figures RELIABILITY.md shows and the reasons it fails out.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../scripts/lib/migrations.ts';
import { countReport, problems, renderFigures, type TracedEvent } from '../../scripts/reliability-report.ts';
import {
  diffRows,
  type InputEvent,
  type InputKind,
  type ReliabilityRecord,
  withReplacementCharacters,
} from '../support/reliability.ts';

const test = (title: string, status: string, tags: string[], reliability?: Partial<ReliabilityRecord>) => ({
  fullName: title,
  title,
  status,
  tags,
  failureMessages: status === 'failed' ? ['AssertionError: expected 500 to be 400\n    at …'] : [],
  meta: reliability ? { reliability } : {},
});

const fault = (name: string) => ({ fault: name, injected: 'pg_terminate_backend(4711)', observed: 'redelivered' });
const input = (kind: InputKind, outcome: InputEvent['outcome'], sent = 'GET /api/x?limit=0') => ({
  kind,
  input: sent,
  sent,
  answered: '400 invalid_request',
  outcome,
});
const table = (compared: number, lost = 0, duplicated = 0) => ({ table: 'products', compared, lost, duplicated });

const report = {
  startTime: Date.UTC(2026, 10, 22, 10, 0, 0),
  testResults: [
    {
      name: join(PROJECT_ROOT, 'test/workers/ingest/faults.test.ts'),
      assertionResults: [
        test('fault: a', 'passed', ['fault'], { faults: [fault('a')], comparisons: [table(100)] }),
        test('fault: b', 'failed', ['fault'], { faults: [fault('b')], comparisons: [table(50, 2, 1)] }),
        test('fault: c recorded only rows', 'passed', ['fault'], { comparisons: [table(10)] }),
        test('untagged', 'passed', []),
      ],
    },
    {
      name: join(PROJECT_ROOT, 'test/workers/dashboard-api/bad-input.test.ts'),
      assertionResults: [
        test('counted', 'passed', ['bad-input'], {
          inputs: [
            ...Array.from({ length: 8 }, () => input('refusal', 'rejected')),
            input('duplicate', 'absorbed'),
            input('text', 'literal'),
            input('text', 'normalised'),
          ],
        }),
        test('counted nothing itself', 'passed', ['bad-input']),
        test('no 5xx', 'passed', ['fuzz'], { fuzz: { 'GET /api/x': 200, 'POST /api/y': 250 } }),
      ],
    },
  ],
};

describe('reliability report', () => {
  it('sums recorded events per file; a tagged test that recorded nothing counts nothing and fails the report', () => {
    const trace: TracedEvent[] = [];
    const files = countReport(report, trace);
    expect(files.map((f) => [f.file, f.project])).toEqual([
      ['test/workers/dashboard-api/bad-input.test.ts', 'dashboard-api'],
      ['test/workers/ingest/faults.test.ts', 'ingest'],
    ]);
    expect(files[1]?.faults).toEqual({ tests: 2, survived: 1, events: 2, compared: 160, lost: 2, duplicated: 1 });
    expect(files[0]?.inputs).toEqual({
      tests: 1,
      refusal: { sent: 8, rejected: 8 },
      duplicate: { sent: 1, absorbed: 1 },
      text: { sent: 2, literal: 1, normalised: 1 },
    });
    expect(files[0]?.fuzz).toEqual({ properties: 2, runs: 450, minRuns: 200 });
    // every total is traceable to events: 11 inputs, 2 faults, 3 comparisons, 2 fuzz counters
    expect(trace.map((e) => e.kind).sort()).toEqual(
      [...Array(11).fill('input'), 'fault', 'fault', 'comparison', 'comparison', 'comparison', 'fuzz', 'fuzz'].sort(),
    );

    const text = renderFigures(files, {
      at: '2026-11-22T10:00:00Z',
      commit: 'abc1234',
      source: 'the tagged tests took 12 s',
    });
    expect(text).toContain('| **2 / 1** (2 fault events) |');
    expect(text).toContain('| **160 / 2 / 1** |');
    expect(text).toContain('| bad inputs sent / rejected (4xx or quarantined, nothing changed) | **8 / 8** |');
    expect(text).toContain('| duplicates sent / absorbed (2xx, nothing changed) | **1 / 1** |');
    expect(text).toContain('**2 / 1 / 1** |');
    expect(text).toContain('| **2 / 450** (200) |');
    expect(text).toContain('`npx vitest run --project ingest test/workers/ingest/faults.test.ts`');
    expect(problems(files)).toEqual([
      'FAILED: test/workers/ingest/faults.test.ts › fault: b (failed: AssertionError: expected 500 to be 400)',
      'RECORDED NOTHING: test/workers/dashboard-api/bad-input.test.ts › counted nothing itself (no input event)',
      'RECORDED NOTHING: test/workers/ingest/faults.test.ts › fault: c recorded only rows (no fault event)',
      'ROWS LOST: 2',
      'ROWS DUPLICATED: 1',
    ]);
  });

  it('an input whose checks failed is sent but not held, and fails the report', () => {
    const files = countReport({
      startTime: 0,
      testResults: [
        {
          name: join(PROJECT_ROOT, 'test/workers/ingest/webhooks.test.ts'),
          assertionResults: [
            test('duplicates', 'failed', ['bad-input'], {
              inputs: [input('duplicate', 'absorbed'), input('duplicate', 'not held')],
            }),
          ],
        },
      ],
    });
    expect(files[0]?.inputs.duplicate).toEqual({ sent: 2, absorbed: 1, 'not held': 1 });
    expect(problems(files)).toContain('INPUTS NOT HELD: 1 of 2 duplicate inputs');
    // a run of some files only need not hold a fault; the whole suite must
    expect(problems(files)).toContain('NO FAULT RECORDED');
    expect(problems(files, { whole: false })).not.toContain('NO FAULT RECORDED');
    expect(renderFigures(files, { at: 'now', commit: 'x', source: 'test' })).toContain(
      '| duplicates sent / absorbed (2xx, nothing changed) | **2 / 1** |',
    );
  });

  it('diffRows counts missing rows as lost and rows beyond the clean run as duplicated (multisets)', () => {
    expect(diffRows(['a', 'b', 'b', 'c'], ['a', 'b', 'c', 'c', 'd'])).toEqual({ compared: 4, lost: 1, duplicated: 2 });
    expect(diffRows([], [])).toEqual({ compared: 0, lost: 0, duplicated: 0 });
  });

  it('withReplacementCharacters replaces NULs and unpaired surrogates only', () => {
    expect(withReplacementCharacters('a\u0000b\ud800c\udc00d\ud83d\uded2')).toBe('a\ufffdb\ufffdc\ufffdd\ud83d\uded2');
  });
});
