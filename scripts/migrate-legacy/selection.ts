/** Which tables a command works on: all of the names map (its order), or those named by --tables. */
import { TABLE_MAPPINGS, type TableMapping } from '../../db/names-map.ts';
import { ConfigurationError } from '../lib/postgres-url.ts';

/** Accepts legacy or new table names; keeps the names map's foreign-key order whatever the input order. */
export function selectMappings(tables?: readonly string[]): TableMapping[] {
  if (!tables || tables.length === 0) return [...TABLE_MAPPINGS];
  const wanted = new Set(tables);
  const known = new Set(TABLE_MAPPINGS.flatMap((m) => [m.legacyTable, m.newTable]));
  const unknown = tables.filter((t) => !known.has(t));
  if (unknown.length > 0) {
    throw new ConfigurationError(
      `unknown table ${unknown.join(', ')}: --tables takes legacy names (${TABLE_MAPPINGS.map((m) => m.legacyTable).join(', ')}) or their new names`,
    );
  }
  return TABLE_MAPPINGS.filter((m) => wanted.has(m.legacyTable) || wanted.has(m.newTable));
}

export function isWholeMap(mappings: readonly TableMapping[]): boolean {
  return mappings.length === TABLE_MAPPINGS.length;
}
