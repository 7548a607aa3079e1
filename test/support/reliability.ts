/**
 * How the reliability suite counts (RELIABILITY.md, `npm run reliability:report`).
 *
 * Every counted thing is an event the test records on its own test's `meta.reliability` (vitest
 * carries it to the JSON reporter, from Node and from workerd alike), saying what was sent and
 * what came back, so the report's totals are sums of recorded events, never numbers a test
 * claims:
 *
 * - an input (tests tagged `bad-input`): what was sent, what was answered, and how it ended —
 *   rejected (a clear 4xx or a quarantined line, nothing changed), absorbed (a duplicate answered
 *   2xx that changed nothing), literal (read back byte for byte as sent) or normalised (stored
 *   with a documented substitution, with what it became);
 * - a fault (tests tagged `fault`): what was injected and what showed it fired;
 * - a row comparison of a faulted run against a clean run, table by table;
 * - fuzz runs (tests tagged `fuzz`): one per fast-check run, per property.
 *
 * Importable in Node and inside workerd.
 */
import { expect, TestRunner } from 'vitest';
import type { Sql } from '#shared/db/types.ts';

export type InputOutcome = 'rejected' | 'absorbed' | 'literal' | 'normalised';

/** What an input was sent as: a bad input to refuse, a duplicate to absorb, valid text to keep. */
export type InputKind = 'refusal' | 'duplicate' | 'text';

export interface InputEvent {
  kind: InputKind;
  /** What the input is (e.g. "products q with a LIKE wildcard"). */
  input: string;
  /** The request or line actually sent (shortened). */
  sent: string;
  /** What came back: status and error code, or the value read back. */
  answered: string;
  /** `not held` until the test's checks of the answer and the database have passed. */
  outcome: InputOutcome | 'not held';
  /** For `normalised`: what the value became. */
  became?: string;
}

export interface FaultEvent {
  fault: string;
  /** How it was injected (e.g. "pg_terminate_backend(4711)"). */
  injected: string;
  /** What showed it fired (e.g. the simulator's log lines, the message seen in the DLQ). */
  observed: string;
}

export interface TableComparison {
  table: string;
  /** Rows of the clean run compared with the faulted one. */
  compared: number;
  /** Rows of the clean run missing after the fault. */
  lost: number;
  /** Rows after the fault beyond the clean run's (duplicates, or rows that should not be there). */
  duplicated: number;
}

export interface ReliabilityRecord {
  inputs: InputEvent[];
  faults: FaultEvent[];
  comparisons: TableComparison[];
  /** fast-check runs per property. */
  fuzz: Record<string, number>;
}

const MAX_TEXT = 240;

/** Text for a record: JSON-escaped where needed (so NULs and surrogates stay visible), shortened. */
export function shown(value: unknown): string {
  const text = typeof value === 'string' ? JSON.stringify(value).slice(1, -1) : JSON.stringify(value);
  return text === undefined ? String(value) : text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}…` : text;
}

/** The record of the test running now (null outside a test, e.g. in beforeAll). */
function currentRecord(): ReliabilityRecord | null {
  const test = TestRunner.getCurrentTest();
  if (!test) return null;
  const meta = test.meta as { reliability?: ReliabilityRecord };
  meta.reliability ??= { inputs: [], faults: [], comparisons: [], fuzz: {} };
  return meta.reliability;
}

/** Records an input as sent (`not held`); the caller sets its answer and outcome once checked. */
function recordInput(event: Omit<InputEvent, 'outcome' | 'answered'> & Partial<InputEvent>): InputEvent {
  const record = currentRecord();
  if (!record) throw new Error(`an input was counted outside a test: ${event.input}`);
  const recorded: InputEvent = {
    answered: '(no answer)',
    outcome: 'not held',
    ...event,
    input: shown(event.input),
    sent: shown(event.sent),
  };
  record.inputs.push(recorded);
  return recorded;
}

/** Records one fault: how it was injected and what showed it fired. */
export function recordFault(fault: string, injected: string, observed: string): void {
  const record = currentRecord();
  if (!record) throw new Error(`a fault was counted outside a test: ${fault}`);
  record.faults.push({ fault, injected: shown(injected), observed: shown(observed) });
}

/** Counts one fast-check run of `property` (call it from inside the property). */
export function recordFuzzRun(property: string): void {
  const record = currentRecord();
  if (!record) throw new Error(`a fuzz run was counted outside a test: ${property}`);
  record.fuzz[property] = (record.fuzz[property] ?? 0) + 1;
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
export function expectSameRows(expected: readonly string[], actual: readonly string[], table: string): void {
  const diff = diffRows(expected, actual);
  currentRecord()?.comparisons.push({ table, ...diff });
  expect([...actual].sort(), `${table}: ${diff.lost} lost, ${diff.duplicated} duplicated`).toEqual(
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

/** What came back, as a record shows it: each response's status and error code. */
export interface Answer {
  status: number;
  body?: unknown;
}

function describeAnswer(answer: Answer | readonly Answer[]): string {
  const answers = Array.isArray(answer) ? answer : [answer as Answer];
  if (answers.length === 0 || answers.some((a) => typeof a?.status !== 'number')) {
    throw new Error('a counted input must return what came back (a response with its status)');
  }
  return answers
    .map((a) => {
      const error = (a.body as { error?: { code?: unknown } } | undefined)?.error?.code;
      const status = (a.body as { status?: unknown } | undefined)?.status;
      return `${a.status}${typeof error === 'string' ? ` ${error}` : typeof status === 'string' ? ` ${status}` : ''}`;
    })
    .join(', ');
}

/**
 * A fingerprint of every table in the public schema (an md5 of its rows in a stable order), to
 * show a refused request changed nothing. Table names come from the catalog, quoted by %I.
 */
export async function databaseFingerprint(
  sql: Sql,
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
 * Sends one input with `attempt` (which asserts the answer and returns the response(s)), checks
 * the database is unchanged (a fingerprint of every table before and after) and records it: as
 * sent first, then with what came back, then as held once every check passed.
 */
async function sendWithoutChange<T extends Answer | readonly Answer[]>(
  sql: Sql,
  event: { kind: InputKind; input: string; sent: string; held: InputOutcome },
  attempt: () => Promise<T>,
  options: { except?: readonly string[] },
  check: (answered: string, result: T) => void,
): Promise<T> {
  const recorded = recordInput(event);
  const before = await databaseFingerprint(sql, options);
  const result = await attempt();
  recorded.answered = describeAnswer(result);
  check(recorded.answered, result);
  expect(await databaseFingerprint(sql, options), `${event.sent} changed the database`).toEqual(before);
  recorded.outcome = event.held;
  return result;
}

/**
 * One bad input, refused: `attempt` sends `sent` and asserts the refusal, returning the
 * response(s); it must be a 4xx and leave the database unchanged.
 */
export function expectRefusedWithoutChange<T extends Answer | readonly Answer[]>(
  sql: Sql,
  attempt: () => Promise<T>,
  sent: string,
  options: { except?: readonly string[]; input?: string } = {},
): Promise<T> {
  const event = { kind: 'refusal' as const, input: options.input ?? sent, sent, held: 'rejected' as const };
  return sendWithoutChange(sql, event, attempt, options, (answered) => {
    expect(answered, `${sent}: a refusal is a 4xx`).toMatch(/^4\d\d\b(?:[^,]*)(?:, 4\d\d\b[^,]*)*$/);
  });
}

/** One duplicate, absorbed: answered 2xx (so the sender stops resending) and nothing changed. */
export function expectAbsorbedWithoutChange<T extends Answer>(
  sql: Sql,
  attempt: () => Promise<T>,
  sent: string,
  options: { input?: string } = {},
): Promise<T> {
  const event = { kind: 'duplicate' as const, input: options.input ?? sent, sent, held: 'absorbed' as const };
  return sendWithoutChange(sql, event, attempt, {}, (_, result) => {
    expect(result.status, `${sent}: a duplicate is answered 2xx`).toBeGreaterThanOrEqual(200);
    expect(result.status, `${sent}: a duplicate is answered 2xx`).toBeLessThan(300);
  });
}

/** A NUL or an unpaired UTF-16 surrogate, each replaced by U+FFFD: what jsonb and text can hold. */
export function withReplacementCharacters(value: string): string {
  return value
    .replaceAll('\u0000', '\ufffd')
    .replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
}

/**
 * One hostile-but-valid value, read back from where it was stored: literal when `readBack` is
 * `sent` byte for byte; normalised when it is `expected` instead (the test's documented
 * substitution: U+FFFD for what Postgres cannot hold, a tag name trimmed and lower-cased), with
 * what it became. Anything else fails the test.
 */
export function expectReadBack(
  input: string,
  request: string,
  value: { sent: string; readBack: unknown; expected?: string },
): void {
  const recorded = recordInput({ kind: 'text', input, sent: request });
  const literal = value.readBack === value.sent;
  recorded.answered = `read back ${literal ? 'byte for byte' : `as ${shown(value.readBack)}`}`;
  expect(value.readBack, `${input}: read back`).toBe(value.expected ?? value.sent);
  recorded.outcome = literal ? 'literal' : 'normalised';
  if (!literal) recorded.became = shown(value.readBack);
}

/**
 * One hostile-but-valid filter value, taken literally: the read answered 200 with exactly the
 * rows expected (computed by the test from seeded data that holds both rows that must match and
 * rows a wrong reading would match), and nothing changed.
 */
export async function expectLiteralMatch(
  sql: Sql,
  request: string,
  read: () => Promise<{ status: number; matched: readonly (string | number)[] }>,
  expected: { match: readonly (string | number)[]; mustNotMatch: readonly (string | number)[]; input?: string },
): Promise<void> {
  const recorded = recordInput({ kind: 'text', input: expected.input ?? request, sent: request });
  expect(expected.match.length, `${request}: a literal read must expect some rows`).toBeGreaterThan(0);
  expect(expected.mustNotMatch.length, `${request}: a literal read must have rows it must not match`).toBeGreaterThan(
    0,
  );
  const before = await databaseFingerprint(sql);
  const { status, matched } = await read();
  recorded.answered = `${status}: ${shown(matched)} (${expected.mustNotMatch.length} seeded rows must not match)`;
  expect(status, request).toBe(200);
  expect([...matched].map(String).sort(), request).toEqual([...expected.match].map(String).sort());
  for (const decoy of expected.mustNotMatch) expect(expected.match.map(String), request).not.toContain(String(decoy));
  expect(await databaseFingerprint(sql), `${request} changed the database`).toEqual(before);
  recorded.outcome = 'literal';
}

/**
 * One bad line of an archived export, quarantined (not an HTTP request): `sent` is the line,
 * `quarantined` the reason the quarantine recorded for it.
 */
export function expectQuarantined(input: string, sent: string, quarantined: string | undefined, reason: RegExp): void {
  const recorded = recordInput({ kind: 'refusal', input, sent, answered: quarantined ?? '(not quarantined)' });
  expect(quarantined, input).toMatch(reason);
  recorded.outcome = 'rejected';
}
