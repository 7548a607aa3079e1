/**
 * `verify`: per table, row counts and an order-independent checksum (the sum of 64-bit md5 hashes
 * of each mapped row's canonical text, computed in SQL on each side), plus random spot checks of
 * whole mapped rows compared column by column. When a checksum differs, the rows are grouped into
 * 4096 buckets by a hash of their key on both sides, and only the differing buckets are compared
 * row by row, to name the keys that differ without moving whole tables into memory.
 */
import type { TableMapping } from '../../db/names-map.ts';
import { tableColumns, tableExists } from './catalog.ts';
import type { Queryable } from './databases.ts';
import {
  describeMigratedTable,
  formatKey,
  keyArray,
  keyIn,
  type MigratedTable,
  rowHash,
  rowText,
  rowValues,
  type Side,
  tableName,
} from './table-sql.ts';

export interface ColumnDifference {
  column: string;
  legacy: string | null;
  target: string | null;
}

export interface RowDifference {
  key: string[];
  problem: 'missing in target' | 'only in target' | 'differs';
  columns: ColumnDifference[];
}

export interface TableVerification {
  legacyTable: string;
  newTable: string;
  /** The legacy key columns the differences' keys are given in. */
  legacyKey: string[];
  legacyRows: number;
  targetRows: number;
  legacyChecksum: string;
  targetChecksum: string;
  spotChecks: number;
  /** The first differing rows (at most MAX_REPORTED), with the columns that differ. */
  differences: RowDifference[];
  /** Differing rows found; a lower bound when `partial`. */
  differenceCount: number;
  partial: boolean;
  /** Set when the table could not be compared at all (missing table, unmapped column, …). */
  error: string | null;
  ok: boolean;
}

export interface VerifyReport {
  ok: boolean;
  tables: TableVerification[];
}

const BUCKETS_EXAMINED = 64;
const MAX_REPORTED = 20;

export async function verifyMigration(
  db: { legacy: Queryable; target: Queryable },
  mappings: readonly TableMapping[],
  options: { spotChecks?: number } = {},
): Promise<VerifyReport> {
  const tables: TableVerification[] = [];
  for (const mapping of mappings) tables.push(await verifyTable(db, mapping, options.spotChecks ?? 20));
  return { ok: tables.every((t) => t.ok), tables };
}

async function verifyTable(
  db: { legacy: Queryable; target: Queryable },
  mapping: TableMapping,
  spotChecks: number,
): Promise<TableVerification> {
  const result: TableVerification = {
    legacyTable: mapping.legacyTable,
    newTable: mapping.newTable,
    legacyKey: [...mapping.legacyKey],
    legacyRows: 0,
    targetRows: 0,
    legacyChecksum: '',
    targetChecksum: '',
    spotChecks: 0,
    differences: [],
    differenceCount: 0,
    partial: false,
    error: null,
    ok: false,
  };
  let table: MigratedTable;
  try {
    if (!(await tableExists(db.target, mapping.newTable)))
      throw new Error(`target table ${mapping.newTable} is missing`);
    if (!(await tableExists(db.legacy, mapping.legacyTable))) {
      throw new Error(`legacy table ${mapping.legacyTable} is missing`);
    }
    table = describeMigratedTable(
      mapping,
      await tableColumns(db.legacy, mapping.legacyTable),
      await tableColumns(db.target, mapping.newTable),
    );
  } catch (error) {
    result.error = (error as Error).message;
    return result;
  }
  const on = (side: Side) => (side === 'legacy' ? db.legacy : db.target);

  const checksum = async (side: Side) => {
    const [row] = await on(side).unsafe<{ rows: number; checksum: string }[]>(
      `select count(*)::float8 as rows, coalesce(sum(${rowHash(table, side)}), 0)::text as checksum from ${tableName(table, side)}`,
    );
    return row ?? { rows: 0, checksum: '0' };
  };
  const [legacySum, targetSum] = await Promise.all([checksum('legacy'), checksum('target')]);
  result.legacyRows = legacySum.rows;
  result.targetRows = targetSum.rows;
  result.legacyChecksum = legacySum.checksum;
  result.targetChecksum = targetSum.checksum;

  const differences = new Map<string, RowDifference>();
  if (legacySum.rows !== targetSum.rows || legacySum.checksum !== targetSum.checksum) {
    const found = await differingKeys(table, on);
    result.partial = found.partial;
    for (const d of found.differences) differences.set(JSON.stringify(d.key), d);
  }

  // Random whole rows, column by column, whatever the checksums said.
  const sample = await db.legacy.unsafe<{ key: string[] }[]>(
    `select ${keyArray(table, 'legacy')} as key from ${tableName(table, 'legacy')} order by random() limit ${Math.max(0, Math.floor(spotChecks))}`,
  );
  result.spotChecks = sample.length;
  for (const d of await compareRows(
    table,
    on,
    sample.map((s) => s.key),
  )) {
    differences.set(JSON.stringify(d.key), d);
  }

  const all = [...differences.values()];
  // Rows named by key but not yet described column by column (found through the buckets).
  const undescribed = all.filter((d) => d.problem === 'differs' && d.columns.length === 0).slice(0, MAX_REPORTED);
  const described = new Map(
    (
      await compareRows(
        table,
        on,
        undescribed.map((d) => d.key),
      )
    ).map((d) => [JSON.stringify(d.key), d]),
  );
  result.differences = all.slice(0, MAX_REPORTED).map((d) => described.get(JSON.stringify(d.key)) ?? d);
  result.differenceCount = all.length;
  result.ok = legacySum.rows === targetSum.rows && legacySum.checksum === targetSum.checksum && differences.size === 0;
  return result;
}

function bucketOf(table: MigratedTable, side: Side): string {
  return `('x' || left(md5(${keyArray(table, side)}::text), 3))::bit(12)::int`;
}

async function differingKeys(
  table: MigratedTable,
  on: (side: Side) => Queryable,
): Promise<{ differences: RowDifference[]; partial: boolean }> {
  const buckets = async (side: Side) => {
    const rows = await on(side).unsafe<{ bucket: number; summary: string }[]>(
      `select ${bucketOf(table, side)} as bucket, count(*)::text || ':' || sum(${rowHash(table, side)})::text as summary
       from ${tableName(table, side)} group by 1`,
    );
    return new Map(rows.map((r) => [r.bucket, r.summary]));
  };
  const [legacyBuckets, targetBuckets] = await Promise.all([buckets('legacy'), buckets('target')]);
  const differing = [...new Set([...legacyBuckets.keys(), ...targetBuckets.keys()])]
    .filter((b) => legacyBuckets.get(b) !== targetBuckets.get(b))
    .sort((a, b) => a - b);
  const examined = differing.slice(0, BUCKETS_EXAMINED);
  const digests = async (side: Side) => {
    const rows = await on(side).unsafe<{ key: string[]; digest: string }[]>(
      `select ${keyArray(table, side)} as key, md5(${rowText(table, side)}) as digest from ${tableName(table, side)}
       where ${bucketOf(table, side)} in (${examined.length > 0 ? examined.join(', ') : 'null'})`,
    );
    return new Map(rows.map((r) => [JSON.stringify(r.key), r]));
  };
  const [legacyRows, targetRows] = await Promise.all([digests('legacy'), digests('target')]);
  const differences: RowDifference[] = [];
  for (const [id, row] of legacyRows) {
    const other = targetRows.get(id);
    if (!other) differences.push({ key: row.key, problem: 'missing in target', columns: [] });
    else if (other.digest !== row.digest) differences.push({ key: row.key, problem: 'differs', columns: [] });
  }
  for (const [id, row] of targetRows) {
    if (!legacyRows.has(id)) differences.push({ key: row.key, problem: 'only in target', columns: [] });
  }
  return { differences, partial: differing.length > examined.length };
}

/** Whole mapped rows for the given legacy keys on both sides, compared column by column. */
async function compareRows(
  table: MigratedTable,
  on: (side: Side) => Queryable,
  keys: string[][],
): Promise<RowDifference[]> {
  if (keys.length === 0) return [];
  const fetch = async (side: Side) => {
    const rows = await on(side).unsafe<{ key: string[]; values: (string | null)[] }[]>(
      `select ${keyArray(table, side)} as key, ${rowValues(table, side)} as values from ${tableName(table, side)}
       where ${keyIn(table, side, keys)}`,
    );
    return new Map(rows.map((r) => [JSON.stringify(r.key), r.values]));
  };
  const [legacyRows, targetRows] = await Promise.all([fetch('legacy'), fetch('target')]);
  const differences: RowDifference[] = [];
  for (const key of keys) {
    const id = JSON.stringify(key);
    const legacy = legacyRows.get(id);
    const target = targetRows.get(id);
    if (!legacy && !target) continue;
    if (!target) {
      differences.push({ key, problem: 'missing in target', columns: [] });
      continue;
    }
    if (!legacy) {
      differences.push({ key, problem: 'only in target', columns: [] });
      continue;
    }
    const columns = table.columns.flatMap((c, i) =>
      legacy[i] === target[i] ? [] : [{ column: c.newColumn, legacy: legacy[i] ?? null, target: target[i] ?? null }],
    );
    if (columns.length > 0) differences.push({ key, problem: 'differs', columns });
  }
  return differences;
}

export function formatVerifyReport(report: VerifyReport): string {
  const lines: string[] = [];
  for (const t of report.tables) {
    const head = `${t.legacyTable} → ${t.newTable}`;
    if (t.error) {
      lines.push(`${head}: CANNOT VERIFY — ${t.error}`);
      continue;
    }
    const rows =
      t.legacyRows === t.targetRows
        ? `${t.legacyRows} rows on both sides`
        : `rows: legacy ${t.legacyRows}, target ${t.targetRows}`;
    const sums =
      t.legacyChecksum === t.targetChecksum
        ? `checksum ${t.legacyChecksum}`
        : `checksum: legacy ${t.legacyChecksum}, target ${t.targetChecksum}`;
    lines.push(`${head}: ${t.ok ? 'ok' : 'DIFFERS'} — ${rows}, ${sums}, ${t.spotChecks} spot check(s)`);
    if (t.ok) continue;
    for (const d of t.differences) {
      const columns = d.columns
        .map((c) => `${c.column}: legacy ${show(c.legacy)}, target ${show(c.target)}`)
        .join('; ');
      lines.push(`    ${formatKey(t.legacyKey, d.key)}: ${d.problem}${columns ? ` (${columns})` : ''}`);
    }
    const more = t.differenceCount - t.differences.length;
    if (more > 0 || t.partial) lines.push(`    … ${t.partial ? 'at least ' : ''}${more} more differing row(s)`);
  }
  lines.push(
    report.ok
      ? `verify: all ${report.tables.length} table(s) match`
      : `verify: ${report.tables.filter((t) => !t.ok).length} table(s) differ: ${report.tables
          .filter((t) => !t.ok)
          .map((t) => t.legacyTable)
          .join(', ')}`,
  );
  return lines.join('\n');
}

function show(value: string | null): string {
  return value === null ? 'NULL' : JSON.stringify(value);
}
