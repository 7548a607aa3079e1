/** One line of an export: which read pass takes it, and whether it is accepted, quarantined or ignored. */
import { excerptOf, type JsonlRecord } from '../jsonl-reader.ts';
import { classifyLine, type ResourceName, type StagedObject } from '../shopify-objects.ts';
import type { QuarantineRow, ReadPass, StagedRow } from './types.ts';

/** A line with a `__parentId` key (at any depth; a string value cannot hold an unescaped quote). */
const CHILD_LINE = /"__parentId"\s*:/;

/** Every line is taken by exactly one of the two passes; invalid lines by the first. */
export function inPass(pass: ReadPass, record: JsonlRecord): boolean {
  if (pass === 'all') return true;
  const child = record.kind === 'line' && CHILD_LINE.test(record.text);
  return pass === 'children' ? child : !child;
}

/** The passes a whole load of `resource` reads its (re-readable) source in. */
export function readPasses(resource: ResourceName): ReadPass[] {
  return resource === 'orders' ? ['parents', 'children'] : ['all'];
}

type LineOutcome =
  | { kind: 'accepted'; row: StagedRow }
  | { kind: 'quarantined'; row: QuarantineRow }
  | { kind: 'ignored' };

export function readLine(resource: ResourceName, record: JsonlRecord): LineOutcome {
  const { lineNumber } = record;
  if (record.kind === 'invalid') {
    return { kind: 'quarantined', row: { line_number: lineNumber, reason: record.reason, excerpt: record.excerpt } };
  }
  const quarantine = (reason: string): LineOutcome => ({
    kind: 'quarantined',
    row: { line_number: lineNumber, reason, excerpt: excerptOf(record.text) },
  });
  let value: unknown;
  try {
    value = JSON.parse(record.text);
  } catch (error) {
    return quarantine(`malformed JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  const classified = classifyLine(resource, value);
  if (classified.kind === 'ignored') return { kind: 'ignored' };
  if (classified.kind === 'invalid') return quarantine(classified.reason);
  const object: StagedObject = classified.object;
  // what Postgres cannot store reaches the payload only through a \u escape or from such a character in the line
  const text = record.text;
  if (text.includes('\\u') || text.includes('\u0000') || SURROGATE.test(text)) {
    const problem = postgresTextProblem(JSON.stringify(object.payload));
    if (problem) return quarantine(problem);
  }
  return { kind: 'accepted', row: new AcceptedRow(lineNumber, object) };
}

/** An accepted line: its payload is serialised when a query first needs it as JSON (orders and their lines go as column arrays). */
class AcceptedRow implements StagedRow {
  readonly line_number: number;
  readonly object_type: string;
  readonly object_id: string;
  readonly parent_object_id: string | null;
  readonly fields: Record<string, unknown>;
  #payload: string | null = null;

  constructor(lineNumber: number, object: StagedObject) {
    this.line_number = lineNumber;
    this.object_type = object.objectType;
    this.object_id = object.objectId;
    this.parent_object_id = object.parentObjectId;
    this.fields = object.payload;
  }

  get payload(): string {
    this.#payload ??= JSON.stringify(this.fields);
    return this.#payload;
  }
}

const SURROGATE = /[\uD800-\uDFFF]/;

/** Text Postgres cannot store (jsonb rejects \u0000 and unpaired surrogates): quarantine, not a failed batch. */
function postgresTextProblem(json: string): string | null {
  // JSON.stringify writes both only as \u escapes: most payloads have none, and skip the regex
  if (!json.includes('\\u')) return null;
  if (json.includes('\\u0000')) return 'contains a NUL character, which Postgres text cannot store';
  if (/\\ud[89ab][0-9a-f]{2}(?!\\ud[c-f])|(?<!\\ud[89ab][0-9a-f]{2})\\ud[c-f][0-9a-f]{2}/i.test(json)) {
    return 'contains an unpaired UTF-16 surrogate escape';
  }
  return null;
}
