/**
 * `assess`: before anything moves, an inventory of the legacy tables (rows, size, what the names map
 * does with each column) and the blockers: legacy tables or columns the map does not know, a target
 * that is not migrated or already holds rows, and legacy rows the new schema would reject. Every
 * row-level rule is read from the target's catalog (checks, not-null, unique and foreign keys) and
 * evaluated on the legacy side over the mapped values, plus the names map's own `redundantWhen`
 * conditions for columns it drops.
 */
import { readdir } from 'node:fs/promises';
import { isNotCarriedOver, mappedColumns, TABLE_MAPPINGS, type TableMapping } from '../../db/names-map.ts';
import { MIGRATIONS_DIR } from '../lib/migrations.ts';
import {
  appliedMigrationVersions,
  publicTables,
  tableColumns,
  tableConstraints,
  tableExists,
  tableRowCount,
  tableSize,
} from './catalog.ts';
import { CHECKPOINT_TABLE, type Checkpoint, readCheckpoints } from './checkpoint.ts';
import type { Queryable } from './databases.ts';
import { checkRows } from './row-rules.ts';
import { isWholeMap } from './selection.ts';
import { describeMigratedTable, formatKey, type MigratedTable } from './table-sql.ts';

export interface Blocker {
  legacyTable: string | null;
  newTable: string | null;
  /** The constraint or rule that stops the migration (`tag_designation_color_code_check`, `unknown column`, …). */
  rule: string;
  problem: string;
  /** Legacy keys of offending rows (a sample of at most SAMPLE_KEYS, row-rules.ts). */
  keys: string[][];
  /** How many legacy rows break the rule (0 when the blocker is not about rows). */
  rowCount: number;
}

export interface ColumnOutcome {
  legacyColumn: string;
  /** `→ person_id`, `→ requested_at, started_at`, `→ x = lower(y)`, or `not carried over: why`. */
  outcome: string;
}

export interface TableInventory {
  mapping: TableMapping;
  legacyRows: number;
  legacySize: string;
  legacyBytes: number;
  columns: ColumnOutcome[];
  targetRows: number;
  checkpoint: Checkpoint | null;
}

export interface Assessment {
  tables: TableInventory[];
  blockers: Blocker[];
  warnings: string[];
  /** SQL-ready descriptions of the tables whose structure matched (used by run and verify). */
  migratedTables: Map<string, MigratedTable>;
  checkpoints: Map<string, Checkpoint>;
}

export interface AssessOptions {
  /** Evaluate the new schema's rules on every legacy row (default true; plan skips it). */
  dataChecks?: boolean;
}

export async function assess(
  db: { legacy: Queryable; target: Queryable },
  mappings: readonly TableMapping[],
  options: AssessOptions = {},
): Promise<Assessment> {
  const blockers: Blocker[] = [];
  const warnings: string[] = [];
  const block = (mapping: TableMapping | null, rule: string, problem: string, keys: string[][] = [], rowCount = 0) =>
    blockers.push({
      legacyTable: mapping?.legacyTable ?? null,
      newTable: mapping?.newTable ?? null,
      rule,
      problem,
      keys,
      rowCount,
    });

  // ---- the target: migrated, with the checkpoint table
  const onDisk = (await readdir(MIGRATIONS_DIR)).filter((f) => /^\d+_.*\.sql$/.test(f)).map((f) => f.split('_')[0]);
  const applied = await appliedMigrationVersions(db.target);
  const pending = onDisk.filter((v) => v !== undefined && !applied.has(v));
  if (pending.length > 0) {
    block(
      null,
      'target not migrated',
      `the target has ${pending.length} of ${onDisk.length} schema migrations pending (first ${pending[0]}): run \`npm run db:migrate\` against DATABASE_URL first`,
    );
  }
  const hasCheckpointTable = await tableExists(db.target, CHECKPOINT_TABLE);
  const checkpoints = hasCheckpointTable ? await readCheckpoints(db.target) : new Map<string, Checkpoint>();

  // ---- legacy tables nobody mapped would be left behind silently
  if (isWholeMap(mappings)) {
    const mapped = new Set(TABLE_MAPPINGS.map((m) => m.legacyTable));
    for (const table of await publicTables(db.legacy)) {
      if (!mapped.has(table)) {
        block(
          null,
          'unknown table',
          `legacy table ${table} is not in the names map (db/names-map.ts): map it or record why it stays behind`,
        );
      }
    }
  }

  const tables: TableInventory[] = [];
  const migratedTables = new Map<string, MigratedTable>();
  for (const mapping of mappings) {
    const { legacyTable, newTable } = mapping;
    const columns = describeColumns(mapping);
    if (!(await tableExists(db.legacy, legacyTable))) {
      block(mapping, 'missing table', `legacy table ${legacyTable} does not exist in LEGACY_DATABASE_URL`);
      continue;
    }
    const [legacyColumns, legacyRows, size] = await Promise.all([
      tableColumns(db.legacy, legacyTable),
      tableRowCount(db.legacy, legacyTable),
      tableSize(db.legacy, legacyTable),
    ]);
    const checkpoint = checkpoints.get(legacyTable) ?? null;
    const inventory: TableInventory = {
      mapping,
      legacyRows,
      legacySize: size.pretty,
      legacyBytes: size.bytes,
      columns,
      targetRows: 0,
      checkpoint,
    };
    tables.push(inventory);

    let structureOk = true;
    const legacyNames = new Set(legacyColumns.map((c) => c.name));
    for (const column of legacyColumns) {
      if (!(column.name in mapping.columns)) {
        structureOk = false;
        block(
          mapping,
          'unknown column',
          `legacy column ${legacyTable}.${column.name} (${column.type}) is not in the names map: map it or mark it not carried over`,
        );
      }
    }
    for (const column of Object.keys(mapping.columns)) {
      if (!legacyNames.has(column)) {
        structureOk = false;
        block(mapping, 'missing column', `the names map names ${legacyTable}.${column}, which the legacy table lacks`);
      }
    }

    if (!(await tableExists(db.target, newTable))) {
      block(mapping, 'target not migrated', `target table ${newTable} does not exist: run \`npm run db:migrate\``);
      continue;
    }
    const [targetColumns, constraints, targetRows] = await Promise.all([
      tableColumns(db.target, newTable),
      tableConstraints(db.target, newTable),
      tableRowCount(db.target, newTable),
    ]);
    inventory.targetRows = targetRows;
    const targetNames = new Set(targetColumns.map((c) => c.name));
    const filled = new Set(mappedColumns(mapping).map((c) => c.newColumn));
    for (const column of filled) {
      if (!targetNames.has(column)) {
        structureOk = false;
        block(mapping, 'missing column', `the names map fills ${newTable}.${column}, which the target table lacks`);
      }
    }
    for (const column of targetColumns) {
      if (column.notNull && column.defaultExpression === null && !filled.has(column.name)) {
        structureOk = false;
        block(
          mapping,
          'unfilled column',
          `${newTable}.${column.name} is not null without a default and the names map fills nothing into it`,
        );
      }
    }

    // ---- rows already in the target: only ours (counted by the checkpoint) may be there
    if (!checkpoint && targetRows > 0) {
      block(
        mapping,
        'target not empty',
        `target table ${newTable} already holds ${targetRows} rows this migration did not write: empty it (see "Data migration" in docs/data-migration.md) before migrating`,
      );
    } else if (checkpoint && checkpoint.rowsCopied !== targetRows) {
      const message = `target table ${newTable} holds ${targetRows} rows but the checkpoint recorded ${checkpoint.rowsCopied}: something else wrote to it`;
      if (checkpoint.status === 'completed') warnings.push(`${message} (the table is complete; verify will show it)`);
      else block(mapping, 'target changed', message);
    }

    // ---- with --tables, a table's foreign-key parents must be migrated already or come along
    const selected = new Set(mappings.map((m) => m.newTable));
    for (const c of constraints) {
      if (c.kind !== 'foreign key' || selected.has(c.referencedTable)) continue;
      const parent = TABLE_MAPPINGS.find((m) => m.newTable === c.referencedTable);
      if (parent && checkpoints.get(parent.legacyTable)?.status !== 'completed') {
        block(
          mapping,
          'parent not migrated',
          `${newTable} references ${parent.newTable} (${c.name}), which is not migrated yet: include ${parent.legacyTable} in --tables or migrate it first`,
        );
      }
    }

    if (!structureOk) continue;
    const table = describeMigratedTable(mapping, legacyColumns, targetColumns);
    migratedTables.set(legacyTable, table);
    if (options.dataChecks === false) continue;
    try {
      await checkRows(db, table, targetColumns, constraints, block);
    } catch (error) {
      warnings.push(
        `${legacyTable}: could not evaluate the new schema's rules on the legacy rows: ${(error as Error).message}`,
      );
    }
  }
  return { tables, blockers, warnings, migratedTables, checkpoints };
}

function describeColumns(mapping: TableMapping): ColumnOutcome[] {
  return Object.entries(mapping.columns).map(([legacyColumn, target]) => {
    if (isNotCarriedOver(target)) {
      const condition = target.redundantWhen ? ` (checked: ${target.redundantWhen})` : '';
      return { legacyColumn, outcome: `not carried over: ${target.notCarriedOver}${condition}` };
    }
    const names = target.map((t) => (t.sql ? `${t.column} = ${t.sql}` : t.column));
    return { legacyColumn, outcome: `→ ${names.join(', ')}` };
  });
}

export function formatAssessment(assessment: Assessment): string {
  const lines: string[] = ['Legacy → new inventory', ''];
  for (const t of assessment.tables) {
    const { mapping } = t;
    const state = t.checkpoint
      ? t.checkpoint.status === 'completed'
        ? `migrated (${t.checkpoint.rowsCopied} rows, completed ${t.checkpoint.completedAt})`
        : `in progress: ${t.checkpoint.rowsCopied} rows copied, resumes after ${formatKey(mapping.legacyKey, t.checkpoint.lastKey ?? [])}`
      : `target has ${t.targetRows} rows`;
    lines.push(
      `${mapping.legacyTable} → ${mapping.newTable}  [${mapping.origin}]  ${t.legacyRows} rows, ${t.legacySize}; ${state}`,
    );
    for (const c of t.columns) lines.push(`    ${c.legacyColumn.padEnd(20)} ${c.outcome}`);
  }
  lines.push('');
  for (const warning of assessment.warnings) lines.push(`warning: ${warning}`);
  if (assessment.blockers.length === 0) {
    lines.push('No blockers: the legacy data fits the new schema.');
  } else {
    lines.push(`${assessment.blockers.length} blocker(s):`);
    for (const b of assessment.blockers) {
      const where = b.legacyTable ? `${b.legacyTable} → ${b.newTable}` : 'database';
      lines.push(`  - [${where}] ${b.rule}: ${b.problem}`);
    }
  }
  return lines.join('\n');
}
