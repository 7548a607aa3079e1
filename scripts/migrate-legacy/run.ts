/**
 * `run`: copies each selected legacy table into its new table, in the names map's foreign-key
 * order, with COPY in batches keyed by the legacy key. Each batch is one target transaction: its
 * rows plus its checkpoint, so a run killed at any moment (kill -9 included) resumes after the last
 * committed batch, and a table whose checkpoint says `completed` is never copied again (re-running
 * after success changes nothing). The source is read in one REPEATABLE READ snapshot, so the run
 * sees one consistent legacy database.
 *
 * `--dry-run` does the same inside one target transaction that is rolled back at the end.
 */

import type { Sql } from '#shared/db/types.ts';
import type { TableMapping } from '../../db/names-map.ts';
import { type Assessment, assess, type Blocker } from './assess.ts';
import { type Checkpoint, readCheckpoints, recordBatch } from './checkpoint.ts';
import { pipeCopy } from './copy-stream.ts';
import type { Queryable } from './databases.ts';
import { MigrationError } from './errors.ts';
import { type Progress, silentProgress } from './progress.ts';
import {
  formatKey,
  keyAfter,
  keyArray,
  keyAtMost,
  keyOrder,
  legacySelectList,
  type MigratedTable,
  tableName,
  targetColumnList,
} from './table-sql.ts';

export interface RunOptions {
  batchSize: number;
  dryRun?: boolean;
  progress?: Progress;
  /** After copying (still inside the dry run's transaction), e.g. to verify what would be committed. */
  beforeFinish?: (target: Queryable) => Promise<void>;
}

export interface TableRun {
  legacyTable: string;
  newTable: string;
  /** `copied` this run (possibly resuming), or `already migrated` by an earlier run. */
  outcome: 'copied' | 'already migrated';
  resumedAfter: string[] | null;
  rowsCopied: number;
  batches: number;
  seconds: number;
}

export interface RunReport {
  dryRun: boolean;
  tables: TableRun[];
  rowsCopied: number;
  seconds: number;
}

/** Blockers stop `run` before it writes anything; the CLI prints them (table, key, rule). */
export class MigrationBlocked extends MigrationError {
  readonly blockers: Blocker[];
  constructor(blockers: Blocker[]) {
    super(`the migration cannot start: ${blockers.length} blocker(s) (run \`assess\` for the full report)`);
    this.blockers = blockers;
  }
}

/** Arbitrary but fixed: one migration run per target database at a time. */
const RUN_LOCK_KEY = 7_340_211_906;

class DryRunRollback extends Error {}

export async function runMigration(
  db: { legacy: Sql; target: Sql },
  mappings: readonly TableMapping[],
  options: RunOptions,
): Promise<RunReport> {
  if (!Number.isInteger(options.batchSize) || options.batchSize < 1) {
    throw new MigrationError(`--batch-size must be a positive integer (got ${options.batchSize})`);
  }
  const lock = await acquireRunLock(db.target);
  try {
    const assessment = await assess(db, mappings);
    const blockers = assessment.blockers.filter(
      (b) => b.legacyTable === null || assessment.checkpoints.get(b.legacyTable)?.status !== 'completed',
    );
    if (blockers.length > 0) throw new MigrationBlocked(blockers);
    return await copyAll(db, mappings, assessment, options);
  } finally {
    await lock.release();
  }
}

async function copyAll(
  db: { legacy: Sql; target: Sql },
  mappings: readonly TableMapping[],
  assessment: Assessment,
  options: RunOptions,
): Promise<RunReport> {
  const started = performance.now();
  const tables: TableRun[] = [];
  const progress = options.progress ?? silentProgress;
  const copyEach = (source: Queryable, target: Queryable, batch: BatchTransaction) => async () => {
    const checkpoints = await readCheckpoints(target);
    for (const mapping of mappings) {
      const table = assessment.migratedTables.get(mapping.legacyTable);
      if (!table) throw new MigrationError(`${mapping.legacyTable}: not assessed`); // blockers prevent this
      tables.push(
        await copyTable(source, batch, table, checkpoints.get(mapping.legacyTable) ?? null, options, progress),
      );
    }
    await options.beforeFinish?.(target);
  };

  await db.legacy.begin('isolation level repeatable read read only', async (source) => {
    if (!options.dryRun) {
      await copyEach(source, db.target, (work) => db.target.begin((tx) => work(tx)) as Promise<number>)();
      return;
    }
    try {
      await db.target.begin(async (outer) => {
        await copyEach(source, outer, (work) => outer.savepoint((tx) => work(tx)) as Promise<number>)();
        throw new DryRunRollback();
      });
    } catch (error) {
      if (!(error instanceof DryRunRollback)) throw error;
    }
  });
  return {
    dryRun: options.dryRun ?? false,
    tables,
    rowsCopied: tables.reduce((sum, t) => sum + t.rowsCopied, 0),
    seconds: (performance.now() - started) / 1000,
  };
}

/** Runs one batch (rows + checkpoint) atomically: its own transaction, or a savepoint in a dry run. */
type BatchTransaction = (work: (tx: Queryable) => Promise<number>) => Promise<number>;

/** Copies one table from its checkpoint onwards. Exported for tests of the failure path. */
export async function copyTable(
  source: Queryable,
  inBatch: BatchTransaction,
  table: MigratedTable,
  checkpoint: Checkpoint | null,
  options: { batchSize: number },
  progress: Progress = silentProgress,
): Promise<TableRun> {
  const base = { legacyTable: table.legacyTable, newTable: table.newTable };
  if (checkpoint?.status === 'completed') {
    return { ...base, outcome: 'already migrated', resumedAfter: null, rowsCopied: 0, batches: 0, seconds: 0 };
  }
  const started = performance.now();
  const resumedAfter = checkpoint?.lastKey ?? null;
  const legacy = tableName(table, 'legacy');
  const order = keyOrder(table, 'legacy');
  const [{ total } = { total: 0 }] = await source.unsafe<{ total: number }[]>(
    `select count(*)::float8 as total from ${legacy}`,
  );
  const bar = progress.table(`${table.legacyTable} → ${table.newTable}`, total, checkpoint?.rowsCopied ?? 0);

  let last = resumedAfter;
  let rowsCopied = 0;
  let batches = 0;
  for (;;) {
    const after = keyAfter(table, 'legacy', last);
    const [boundary] = await source.unsafe<{ key: string[] }[]>(
      `select ${keyArray(table, 'legacy')} as key from ${legacy} where ${after} order by ${order} offset ${options.batchSize - 1} limit 1`,
    );
    const upper = boundary?.key ?? null;
    const completed = upper === null;
    const batchLast =
      upper ??
      (
        await source.unsafe<{ key: string[] }[]>(
          `select ${keyArray(table, 'legacy')} as key from ${legacy} where ${after} order by ${keyOrder(table, 'legacy', 'desc')} limit 1`,
        )
      )[0]?.key ??
      null;
    const copyOut = `copy (select ${legacySelectList(table)} from ${legacy} where ${after} and ${keyAtMost(table, 'legacy', upper)} order by ${order}) to stdout`;
    const copyIn = `copy ${tableName(table, 'target')} (${targetColumnList(table)}) from stdin`;
    let rows: number;
    try {
      rows = await inBatch(async (tx) => {
        const n = await pipeCopy(source, copyOut, tx, copyIn, (r) => bar.advance(r));
        await recordBatch(tx, table, { lastKey: batchLast, rows: n, completed });
        return n;
      });
    } catch (error) {
      throw await explainCopyFailure(source, table, last, error);
    }
    rowsCopied += rows;
    batches++;
    last = batchLast ?? last;
    if (completed) break;
  }
  bar.finish();
  return {
    ...base,
    outcome: 'copied',
    resumedAfter,
    rowsCopied,
    batches,
    seconds: (performance.now() - started) / 1000,
  };
}

/**
 * A row the target rejected although assess found no blocker (a rule assess could not evaluate):
 * name the table, the legacy key of the row (from COPY's line number) and the constraint.
 */
async function explainCopyFailure(
  source: Queryable,
  table: MigratedTable,
  after: string[] | null,
  error: unknown,
): Promise<Error> {
  const e = error as { message?: string; where?: string; constraint_name?: string; detail?: string; code?: string };
  if (!e || typeof e.message !== 'string' || !e.code) return error as Error;
  const line = /COPY [^,]+, line (\d+)/.exec(e.where ?? '')?.[1];
  let key: string[] | null = null;
  if (line) {
    try {
      const [row] = await source.unsafe<{ key: string[] }[]>(
        `select ${keyArray(table, 'legacy')} as key from ${tableName(table, 'legacy')} where ${keyAfter(table, 'legacy', after)} order by ${keyOrder(table, 'legacy')} offset ${Number(line) - 1} limit 1`,
      );
      key = row?.key ?? null;
    } catch {
      // the source transaction failed too (the error came from the source side); no key then
    }
  }
  const at = key ? ` at legacy row ${formatKey(table.mapping.legacyKey, key)}` : '';
  const rule = e.constraint_name ? ` (constraint ${e.constraint_name})` : '';
  const detail = e.detail ? ` — ${e.detail}` : '';
  const failure = new MigrationError(
    `copying ${table.legacyTable} → ${table.newTable} failed${at}${rule}: ${e.message}${detail}. Nothing of this batch was written; earlier batches stay committed and a re-run resumes after them.`,
  );
  failure.cause = error;
  return failure;
}

async function acquireRunLock(target: Sql, waitMs = 30_000): Promise<{ release(): Promise<void> }> {
  const session = await target.reserve();
  const deadline = Date.now() + waitMs;
  try {
    for (;;) {
      const [row] = await session<{ locked: boolean }[]>`select pg_try_advisory_lock(${RUN_LOCK_KEY}) as locked`;
      if (row?.locked) break;
      // A killed run's session may take a moment to end on the server; a live one holds it for long.
      if (Date.now() > deadline) {
        throw new MigrationError('another migrate-legacy run holds the lock on this target database; wait for it');
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  } catch (error) {
    session.release();
    throw error;
  }
  return {
    async release() {
      try {
        await session`select pg_advisory_unlock(${RUN_LOCK_KEY})`;
      } finally {
        session.release();
      }
    },
  };
}

export function formatRunReport(report: RunReport): string {
  const verb = report.dryRun ? 'would copy' : 'copied';
  const lines = report.tables.map((t) => {
    if (t.outcome === 'already migrated') return `${t.legacyTable} → ${t.newTable}: already migrated, skipped`;
    const resumed = t.resumedAfter ? ` (resumed after ${t.resumedAfter.join(', ')})` : '';
    const rate = t.seconds > 0 ? Math.round(t.rowsCopied / t.seconds) : 0;
    return `${t.legacyTable} → ${t.newTable}: ${verb} ${t.rowsCopied} rows in ${t.batches} batch(es)${resumed}, ${t.seconds.toFixed(2)} s, ${rate} rows/s`;
  });
  lines.push(
    report.dryRun
      ? `dry run: ${report.rowsCopied} rows would be copied; everything was rolled back, the target is unchanged`
      : `${report.rowsCopied} rows copied in ${report.seconds.toFixed(2)} s`,
  );
  return lines.join('\n');
}
