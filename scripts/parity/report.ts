/** A parity run as text for a terminal: the window, a table of the checks, and why each failing one failed. */
import { type CheckValue, formatPercent, type ParityCheckResult } from '../../workers/shared/parity/comparison.ts';
import type { ParityRun } from '../../workers/shared/parity/runner.ts';

function value(v: CheckValue): string {
  if (v === null) return '—';
  if (typeof v === 'number') return v.toLocaleString('en-US', { maximumFractionDigits: 2 });
  return Object.entries(v)
    .map(([k, n]) => `${k} ${n}`)
    .join(' · ');
}

function table(rows: string[][], rightAligned: Set<number>): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows
    .map((row, r) => {
      const line = row
        .map((cell, i) => (rightAligned.has(i) ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)))
        .join('  ')
        .trimEnd();
      return r === 0 ? `${line}\n${widths.map((w) => '─'.repeat(w)).join('  ')}` : line;
    })
    .join('\n');
}

const VERDICT_LABEL: Record<ParityCheckResult['verdict'], string> = { pass: 'PASS', fail: 'FAIL', error: 'ERROR' };

export function formatParityRun(run: ParityRun): string {
  const w = run.window;
  const lines = [
    `parity run ${run.started_at} (${run.duration_ms} ms): ${VERDICT_LABEL[run.verdict]}`,
    `window ${w.from} – ${w.to}${w.source === 'requested' ? ' (requested)' : ''}; dated data through ${w.throughDate}`,
    `watermark ${w.watermarkAt ?? 'none: neither system has a completed sync'} (legacy synced ${w.legacySyncAt ?? 'never'}, new synced ${w.newSyncAt ?? 'never'}); shop timezone ${w.timezone}${w.legacyTimezone !== w.timezone ? ` (legacy says ${w.legacyTimezone})` : ''}`,
    '',
    table(
      [
        ['check', 'legacy', 'new', 'difference', 'tolerance', 'verdict'],
        ...run.checks.map((c) => [
          c.name,
          value(c.legacy_value),
          value(c.new_value),
          formatPercent(c.difference),
          formatPercent(c.tolerance),
          VERDICT_LABEL[c.verdict],
        ]),
      ],
      new Set([1, 2, 3, 4]),
    ),
  ];
  const failing = run.checks.filter((c) => c.verdict !== 'pass');
  if (failing.length > 0) {
    lines.push('');
    for (const c of failing) lines.push(`${VERDICT_LABEL[c.verdict]} ${c.name}: ${c.details.summary}`);
  }
  return lines.join('\n');
}
