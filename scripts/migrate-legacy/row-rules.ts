/**
 * The new schema's row-level rules evaluated on the legacy rows, before anything moves: each rule is
 * read from the target's catalog (checks, not-null, unique and foreign keys) and evaluated on the
 * legacy side over the mapped values, plus the names map's own `redundantWhen` conditions for the
 * columns it drops. Each broken rule is a blocker with a sample of the offending legacy keys.
 */
import {
  isNotCarriedOver,
  mappedColumns,
  mappingForNewTable,
  quoteIdent,
  type TableMapping,
} from '../../db/names-map.ts';
import type { CatalogColumn, CatalogConstraint } from './catalog.ts';
import type { Queryable } from './databases.ts';
import { formatKey, keyArray, legacySelectList, type MigratedTable, tableName } from './table-sql.ts';

/** How many offending legacy keys a blocker names. */
export const SAMPLE_KEYS = 10;

/**
 * The legacy rows as the target would receive them: every target column (mapped ones from the
 * legacy row, the others as their default) plus the legacy key and the names map's redundancy
 * conditions, so the target's own check expressions can be evaluated against them unchanged.
 */
function mappedRows(
  table: MigratedTable,
  targetColumns: CatalogColumn[],
): { sql: string; redundancy: { column: string; condition: string }[] } {
  const filled = new Set(table.columns.map((c) => c.newColumn));
  // A sequence default would advance the source's sequence: leave those null.
  const defaultOf = (c: CatalogColumn) =>
    c.defaultExpression && !c.defaultExpression.includes('nextval(') ? c.defaultExpression : 'null';
  const defaults = targetColumns
    .filter((c) => !filled.has(c.name))
    .map((c) => `(${defaultOf(c)})::${c.type} as ${quoteIdent(c.name)}`);
  const redundancy = Object.entries(table.mapping.columns).flatMap(([column, target]) =>
    isNotCarriedOver(target) && target.redundantWhen ? [{ column, condition: target.redundantWhen }] : [],
  );
  const select = [
    legacySelectList(table),
    ...defaults,
    `${keyArray(table, 'legacy')} as "__legacy_key"`,
    ...redundancy.map((r, i) => `(${r.condition}) as "__redundant_${i}"`),
  ].join(', ');
  return { sql: `select ${select} from ${tableName(table, 'legacy')}`, redundancy };
}

export type Block = (mapping: TableMapping, rule: string, problem: string, keys: string[][], rowCount: number) => void;

export async function checkRows(
  db: { legacy: Queryable },
  table: MigratedTable,
  targetColumns: CatalogColumn[],
  constraints: CatalogConstraint[],
  block: Block,
): Promise<void> {
  const { mapping } = table;
  const rows = mappedRows(table, targetColumns);
  const keysOf = (keys: string[][]) => keys.map((k) => formatKey(mapping.legacyKey, k)).join('; ');

  // Row rules: checks, not-null, and the names map's redundancy conditions. A check passes on null.
  const rules: { name: string; failed: string; what: string }[] = [
    ...constraints.flatMap((c) =>
      c.kind === 'check' ? [{ name: c.name, failed: `(${c.expression}) is false`, what: `CHECK ${c.expression}` }] : [],
    ),
    ...targetColumns
      .filter((c) => c.notNull && table.columns.some((m) => m.newColumn === c.name))
      .map((c) => ({ name: `${c.name} not null`, failed: `${quoteIdent(c.name)} is null`, what: 'NOT NULL' })),
    ...rows.redundancy.map((r, i) => ({
      name: `${r.condition}`,
      failed: `"__redundant_${i}" is not true`,
      what: `the names map drops ${table.legacyTable}.${r.column} as redundant, which needs ${r.condition}`,
    })),
  ];
  if (rules.length > 0) {
    const found = await db.legacy.unsafe<{ rule: number; total: number; keys: string[][] }[]>(`
      select v.rule, count(*)::float8 as total,
             jsonb_path_query_array(jsonb_agg(m."__legacy_key" order by m."__legacy_key"), '$[0 to ${SAMPLE_KEYS - 1}]') as keys
      from (${rows.sql}) m
      cross join lateral (values ${rules.map((r, i) => `(${i}, ${r.failed})`).join(', ')}) v(rule, failed)
      where (${rules.map((r) => r.failed).join(' or ')}) and v.failed
      group by v.rule order by v.rule`);
    for (const { rule, total, keys } of found) {
      const r = rules[rule];
      if (!r) continue;
      block(
        mapping,
        r.name,
        `${total} legacy row(s) of ${table.legacyTable} would violate ${r.name} on ${table.newTable} (${r.what}): ${keysOf(keys)}`,
        keys,
        total,
      );
    }
  }

  // Unique and primary keys: duplicates among the mapped values (nulls are distinct, as in Postgres).
  for (const c of constraints) {
    if (c.kind !== 'unique') continue;
    if (!c.columns.every((column) => targetColumns.some((t) => t.name === column))) continue;
    const cols = c.columns.map(quoteIdent);
    const [found] = await db.legacy.unsafe<{ groups: number; total: number; keys: string[][] }[]>(`
      select count(*)::float8 as groups, coalesce(sum(n), 0)::float8 as total,
             coalesce(jsonb_path_query_array(jsonb_agg(keys order by keys), '$[0 to ${SAMPLE_KEYS - 1}]'), '[]') as keys
      from (select count(*) as n, jsonb_agg("__legacy_key" order by "__legacy_key") -> 0 as keys
            from (${rows.sql}) m
            where ${cols.map((col) => `${col} is not null`).join(' and ')}
            group by ${cols.join(', ')} having count(*) > 1) d`);
    if (found && found.groups > 0) {
      block(
        mapping,
        c.name,
        `${found.groups} value(s) of (${c.columns.join(', ')}) occur more than once in ${table.legacyTable} (${found.total} rows), which ${c.name} on ${table.newTable} rejects; first row of each: ${keysOf(found.keys)}`,
        found.keys,
        found.total,
      );
    }
  }

  // Foreign keys: mapped references whose parent row is not in the parent's legacy table.
  for (const c of constraints) {
    if (c.kind !== 'foreign key' || c.referencedTable === table.newTable) continue;
    let parent: TableMapping;
    try {
      parent = mappingForNewTable(c.referencedTable);
    } catch {
      continue; // a parent the migration does not fill (none today): Postgres itself checks it on COPY
    }
    const parentColumns = mappedColumns(parent);
    const parentSql = c.referencedColumns.map((col) => parentColumns.find((p) => p.newColumn === col)?.sql);
    if (parentSql.some((s) => s === undefined)) continue;
    const childCols = c.columns.map((col) => `m.${quoteIdent(col)}`);
    const [found] = await db.legacy.unsafe<{ total: number; keys: string[][] }[]>(`
      select count(*)::float8 as total,
             coalesce(jsonb_path_query_array(jsonb_agg(m."__legacy_key" order by m."__legacy_key"), '$[0 to ${SAMPLE_KEYS - 1}]'), '[]') as keys
      from (${rows.sql}) m
      where ${childCols.map((col) => `${col} is not null`).join(' and ')}
        and not exists (select 1 from ${quoteIdent(parent.legacyTable)} p
                        where ${childCols.map((col, i) => `${col} = (${parentSql[i]})`).join(' and ')})`);
    if (found && found.total > 0) {
      block(
        mapping,
        c.name,
        `${found.total} orphan row(s) in ${table.legacyTable}: (${c.columns.join(', ')}) name no row of ${parent.legacyTable}, which ${c.name} on ${table.newTable} rejects: ${keysOf(found.keys)}`,
        found.keys,
        found.total,
      );
    }
  }
}
