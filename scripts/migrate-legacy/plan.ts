/**
 * `plan`: the ordered steps `run` would take — the names map's foreign-key order, how many rows and
 * batches each table needs, and whether it starts, resumes after a checkpoint or is already done.
 */
import type { Assessment } from './assess.ts';
import { formatKey } from './table-sql.ts';

export interface PlanStep {
  order: number;
  legacyTable: string;
  newTable: string;
  origin: string;
  legacyRows: number;
  action: 'copy' | 'resume' | 'skip';
  resumeAfter: string[] | null;
  rowsLeft: number;
  batches: number;
}

export function buildPlan(assessment: Assessment, batchSize: number): PlanStep[] {
  return assessment.tables.map((t, i) => {
    const checkpoint = t.checkpoint;
    const done = checkpoint?.status === 'completed';
    const rowsLeft = done ? 0 : Math.max(0, t.legacyRows - (checkpoint?.rowsCopied ?? 0));
    return {
      order: i + 1,
      legacyTable: t.mapping.legacyTable,
      newTable: t.mapping.newTable,
      origin: t.mapping.origin,
      legacyRows: t.legacyRows,
      action: done ? 'skip' : checkpoint ? 'resume' : 'copy',
      resumeAfter: done ? null : (checkpoint?.lastKey ?? null),
      rowsLeft,
      // the last batch of a table is the one that finds no further key (it may be empty)
      batches: done ? 0 : Math.floor(rowsLeft / batchSize) + 1,
    };
  });
}

export function formatPlan(steps: PlanStep[], assessment: Assessment, batchSize: number): string {
  const lines = [`Plan (foreign-key order, batches of ${batchSize} rows, one target transaction per batch):`, ''];
  for (const s of steps) {
    const what =
      s.action === 'skip'
        ? 'already migrated: skip'
        : s.action === 'resume'
          ? `resume after ${formatKey(
              assessment.tables.find((t) => t.mapping.legacyTable === s.legacyTable)?.mapping.legacyKey ?? [],
              s.resumeAfter ?? [],
            )}: ~${s.rowsLeft} rows left in ~${s.batches} batch(es)`
          : `copy ${s.rowsLeft} rows in ~${s.batches} batch(es)`;
    lines.push(`${String(s.order).padStart(2)}. ${s.legacyTable} → ${s.newTable} [${s.origin}]: ${what}`);
  }
  lines.push(`${String(steps.length + 1).padStart(2)}. verify: row counts, checksums and spot checks per table`);
  lines.push('');
  if (assessment.blockers.length > 0) {
    lines.push(
      `${assessment.blockers.length} blocker(s) found so far (structure and target state; \`assess\` also checks every row):`,
    );
    for (const b of assessment.blockers) lines.push(`  - [${b.legacyTable ?? 'database'}] ${b.rule}: ${b.problem}`);
  }
  return lines.join('\n');
}
