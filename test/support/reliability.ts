/**
 * How the reliability suite counts (RELIABILITY.md, `npm run reliability:report`).
 *
 * Tests tagged `fault` inject a fault into a real run and compare the rows they end with against a
 * clean run of the same store; tests tagged `bad-input` send bad input and check it is refused (a
 * clear 4xx, or a quarantined line) with no state change. Each records what it compared on its own
 * test's `meta.reliability` (vitest carries it to the JSON reporter, from Node and from workerd
 * alike), so the report's rows lost / duplicated and inputs tried / rejected are the tests' own
 * comparisons, not numbers written by hand. Importable in Node and inside workerd.
 */
import type postgres from 'postgres';
import { expect, TestRunner } from 'vitest';

export interface ReliabilityRecord {
  /** Bad inputs sent. */
  tried: number;
  /** Bad inputs refused with a clear 4xx (or quarantined) and no state change. */
  rejected: number;
  /**
   * Hostile but valid text (SQL metacharacters, LIKE wildcards, unicode) taken literally: stored
   * and matched exactly as given, nothing else changed.
   */
  literal: number;
  /** Rows of the clean run compared with the faulted one. */
  compared: number;
  /** Rows of the clean run missing after the fault. */
  lost: number;
  /** Rows after the fault beyond the clean run's (duplicates, or rows that should not be there). */
  duplicated: number;
}

/** The record of the test running now (null outside a test, e.g. in beforeAll). */
function currentRecord(): ReliabilityRecord | null {
  const test = TestRunner.getCurrentTest();
  if (!test) return null;
  const meta = test.meta as { reliability?: ReliabilityRecord };
  meta.reliability ??= { tried: 0, rejected: 0, literal: 0, compared: 0, lost: 0, duplicated: 0 };
  return meta.reliability;
}

/** Multiset difference of two row lists (each row as text): what is missing, what is extra. */
export function diffRows(
  expected: readonly string[],
  actual: readonly string[],
): { compared: number; lost: number; duplicated: number } {
  const remaining = new Map<string, number>();
  for (const row of expected) remaining.set(row, (remaining.get(row) ?? 0) + 1);
  let duplicated = 0;
  for (const row of actual) {
    const left = remaining.get(row) ?? 0;
    if (left > 0) remaining.set(row, left - 1);
    else duplicated += 1;
  }
  let lost = 0;
  for (const left of remaining.values()) lost += left;
  return { compared: expected.length, lost, duplicated };
}

/**
 * Records the comparison of the rows a faulted run ended with against a clean run's, then
 * asserts they are the same rows (the record is written first, so a failing test still reports
 * what it lost or duplicated).
 */
export function expectSameRows(expected: readonly string[], actual: readonly string[], label: string): void {
  const diff = diffRows(expected, actual);
  const record = currentRecord();
  if (record) {
    record.compared += diff.compared;
    record.lost += diff.lost;
    record.duplicated += diff.duplicated;
  }
  expect([...actual].sort(), `${label}: ${diff.lost} lost, ${diff.duplicated} duplicated`).toEqual(
    [...expected].sort(),
  );
}

/** Same as expectSameRows for {table: rows} of both runs, table by table. */
export function expectSameTables(
  expected: Record<string, readonly string[]>,
  actual: Record<string, readonly string[]>,
): void {
  const tables = [...new Set([...Object.keys(expected), ...Object.keys(actual)])].sort();
  for (const table of tables) expectSameRows(expected[table] ?? [], actual[table] ?? [], table);
}

/**
 * Counts one bad input: tried before `attempt` runs, rejected once it has returned (its own
 * assertions — the refusal and the unchanged state — having passed).
 */
export async function badInput<T>(attempt: () => Promise<T>): Promise<T> {
  const record = currentRecord();
  if (record) record.tried += 1;
  const result = await attempt();
  if (record) record.rejected += 1;
  return result;
}

/**
 * Counts one hostile-but-valid input: tried before `attempt` runs, taken literally once it has
 * returned (its own assertions — the exact value stored or matched, nothing else changed — passed).
 */
export async function takenLiterally<T>(attempt: () => Promise<T>): Promise<T> {
  const record = currentRecord();
  if (record) record.tried += 1;
  const result = await attempt();
  if (record) record.literal += 1;
  return result;
}

/**
 * A fingerprint of every table in the public schema (an md5 of its rows in a stable order), to
 * show a refused request changed nothing. Table names come from the catalog, quoted by %I.
 */
export async function databaseFingerprint(
  sql: postgres.Sql,
  options: { except?: readonly string[] } = {},
): Promise<Record<string, string>> {
  const tables = await sql<{ name: string; quoted: string }[]>`
    select tablename as name, format('%I.%I', schemaname, tablename) as quoted
    from pg_tables where schemaname = 'public' order by tablename`;
  const wanted = tables.filter((t) => !options.except?.includes(t.name));
  if (wanted.length === 0) return {};
  const columns = wanted.map(
    (t, i) => `(select md5(coalesce(string_agg(x::text, E'\\n' order by x::text), '')) from ${t.quoted} x) as t${i}`,
  );
  const [row] = await sql.unsafe<Record<string, string>[]>(`select ${columns.join(', ')}`);
  return Object.fromEntries(wanted.map((t, i) => [t.name, row?.[`t${i}`] as string]));
}

/**
 * Counts one bad input and checks it changed nothing in the database: `attempt` sends it and
 * asserts the refusal; the fingerprint before and after must match.
 */
export async function expectRefusedWithoutChange<T>(
  sql: postgres.Sql,
  attempt: () => Promise<T>,
  label = 'bad input',
  options: { except?: readonly string[] } = {},
): Promise<T> {
  return badInput(async () => {
    const before = await databaseFingerprint(sql, options);
    const result = await attempt();
    expect(await databaseFingerprint(sql, options), `${label} changed the database`).toEqual(before);
    return result;
  });
}
