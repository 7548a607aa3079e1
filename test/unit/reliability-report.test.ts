/**
 * scripts/reliability-report.ts counts what the tagged tests recorded: a synthetic vitest JSON
 * report in, the figures RELIABILITY.md shows out.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../scripts/lib/migrations.ts';
import { countReport, renderFigures } from '../../scripts/reliability-report.ts';
import { diffRows } from '../support/reliability.ts';

const test = (title: string, status: string, tags: string[], reliability?: Record<string, number>) => ({
  fullName: title,
  title,
  status,
  tags,
  meta: reliability ? { reliability } : {},
});

const report = {
  startTime: Date.UTC(2026, 10, 22, 10, 0, 0),
  testResults: [
    {
      name: join(PROJECT_ROOT, 'test/workers/ingest/faults.test.ts'),
      assertionResults: [
        test('fault: a', 'passed', ['fault'], { compared: 100, lost: 0, duplicated: 0 }),
        test('fault: b', 'failed', ['fault'], { compared: 50, lost: 2, duplicated: 1 }),
        test('fault: c', 'passed', ['fault']),
        test('untagged', 'passed', []),
      ],
    },
    {
      name: join(PROJECT_ROOT, 'test/workers/dashboard-api/bad-input.test.ts'),
      assertionResults: [
        test('counted', 'passed', ['bad-input'], { tried: 10, rejected: 8, literal: 2 }),
        test('counted nothing itself', 'passed', ['bad-input']),
      ],
    },
  ],
};

describe('reliability report', () => {
  it('sums faults, rows and bad inputs per file from the tests’ recorded comparisons', () => {
    const files = countReport(report);
    expect(files.map((f) => [f.file, f.project])).toEqual([
      ['test/workers/dashboard-api/bad-input.test.ts', 'dashboard-api'],
      ['test/workers/ingest/faults.test.ts', 'ingest'],
    ]);
    expect(files[1]?.faults).toEqual({ tried: 3, survived: 2, compared: 150, lost: 2, duplicated: 1, unrecorded: 1 });
    expect(files[0]?.inputs).toEqual({ tests: 2, tried: 11, rejected: 9, literal: 2 });
    const text = renderFigures(files, { at: '2026-11-22T10:00:00Z', commit: 'abc1234', seconds: 12 });
    expect(text).toContain('| faults tried / survived | **3 / 2** |');
    expect(text).toContain('| rows lost | **2** |');
    expect(text).toContain('| bad inputs tried / rejected (4xx or quarantined, nothing changed) | **11 / 9** |');
    expect(text).toContain('test/workers/ingest/faults.test.ts › fault: b (failed)');
    expect(text).toContain('`npx vitest run --project ingest test/workers/ingest/faults.test.ts`');
  });

  it('diffRows counts missing rows as lost and rows beyond the clean run as duplicated (multisets)', () => {
    expect(diffRows(['a', 'b', 'b', 'c'], ['a', 'b', 'c', 'c', 'd'])).toEqual({ compared: 4, lost: 1, duplicated: 2 });
    expect(diffRows([], [])).toEqual({ compared: 0, lost: 0, duplicated: 0 });
  });
});
