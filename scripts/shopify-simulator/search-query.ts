/**
 * The part of Shopify's search syntax the simulator filters by (`query:` arguments):
 * `field:value`, comparators (`:>`, `:>=`, `:<`, `:<=`), quoted values ('…' or "…"), implicit or
 * explicit AND, OR, NOT/-, and parentheses. Values compare as instants when both sides are
 * timestamps, as numbers when both are numbers, else case-insensitively as text. A field the
 * accessor does not know matches everything (Shopify ignores filters it does not support).
 * Quoted values may not contain spaces (the ingest's timestamps and enum values never do).
 */

type Comparator = ':' | ':>' | ':>=' | ':<' | ':<=';

type Expression =
  | { kind: 'term'; field: string; comparator: Comparator; value: string }
  | { kind: 'text'; value: string }
  | { kind: 'not'; operand: Expression }
  | { kind: 'and' | 'or'; operands: Expression[] };

/** Returns the record's value for a search field (snake_case), or undefined when unknown. */
export type FieldAccessor = (field: string) => string | number | boolean | null | undefined;

const TOKEN = /\s*(\(|\)|"[^"]*"|'[^']*'|[^\s()]+)/y;

function tokenize(input: string): string[] {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  for (;;) {
    const match = TOKEN.exec(input);
    if (!match?.[1]) break;
    tokens.push(match[1]);
  }
  return tokens;
}

function unquote(value: string): string {
  return /^(['"]).*\1$/.test(value) ? value.slice(1, -1) : value;
}

function parseTerm(token: string): Expression {
  const match = /^(-?)([A-Za-z_][\w.]*)(:>=|:<=|:>|:<|:)(.*)$/.exec(token);
  if (!match) return { kind: 'text', value: unquote(token) };
  const term: Expression = {
    kind: 'term',
    field: match[2] as string,
    comparator: match[3] as Comparator,
    value: unquote(match[4] as string),
  };
  return match[1] ? { kind: 'not', operand: term } : term;
}

export function parseSearchQuery(input: string): Expression {
  const tokens = tokenize(input);
  let position = 0;
  const next = () => tokens[position++];
  const peek = () => tokens[position];

  function primary(): Expression {
    const token = next();
    if (token === undefined) return { kind: 'and', operands: [] };
    if (token === '(') {
      const inner = disjunction();
      if (peek() === ')') position++;
      return inner;
    }
    if (token === 'NOT') return { kind: 'not', operand: primary() };
    return parseTerm(token);
  }

  function conjunction(): Expression {
    const operands = [primary()];
    while (peek() !== undefined && peek() !== ')' && peek() !== 'OR') {
      if (peek() === 'AND') position++;
      operands.push(primary());
    }
    return operands.length === 1 ? (operands[0] as Expression) : { kind: 'and', operands };
  }

  function disjunction(): Expression {
    const operands = [conjunction()];
    while (peek() === 'OR') {
      position++;
      operands.push(conjunction());
    }
    return operands.length === 1 ? (operands[0] as Expression) : { kind: 'or', operands };
  }

  return disjunction();
}

const TIMESTAMP = /^\d{4}-\d{2}-\d{2}/;

function compare(actual: string | number | boolean, comparator: Comparator, expected: string): boolean {
  let left: number | string;
  let right: number | string;
  if (typeof actual === 'string' && TIMESTAMP.test(actual) && TIMESTAMP.test(expected)) {
    left = Date.parse(actual);
    right = Date.parse(expected);
  } else if (
    typeof actual === 'number' ||
    (/^-?\d+(\.\d+)?$/.test(String(actual)) && /^-?\d+(\.\d+)?$/.test(expected))
  ) {
    left = Number(actual);
    right = Number(expected);
  } else {
    left = String(actual).toLowerCase();
    right = expected.toLowerCase();
  }
  switch (comparator) {
    case ':':
      return left === right;
    case ':>':
      return left > right;
    case ':>=':
      return left >= right;
    case ':<':
      return left < right;
    case ':<=':
      return left <= right;
  }
}

export function matchesSearch(expression: Expression, accessor: FieldAccessor): boolean {
  switch (expression.kind) {
    case 'text':
      return true;
    case 'not':
      return !matchesSearch(expression.operand, accessor);
    case 'and':
      return expression.operands.every((operand) => matchesSearch(operand, accessor));
    case 'or':
      return expression.operands.some((operand) => matchesSearch(operand, accessor));
    case 'term': {
      const actual = accessor(expression.field);
      if (actual === undefined) return true;
      if (actual === null) return false;
      return compare(actual, expression.comparator, expression.value);
    }
  }
}

/** A predicate for a `query:` argument (everything matches when there is none). */
export function searchPredicate(query: string | null | undefined): (accessor: FieldAccessor) => boolean {
  if (!query || query.trim() === '') return () => true;
  const expression = parseSearchQuery(query);
  return (accessor) => matchesSearch(expression, accessor);
}

/** The accessor for a JSON object: `updated_at` reads `updatedAt`; `id` compares the gid's number. */
export function camelCaseAccessor(record: Record<string, unknown>): FieldAccessor {
  return (field) => {
    const key = field.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase());
    if (!(key in record)) return undefined;
    const value = record[key];
    if (key === 'id' && typeof value === 'string') return Number(value.slice(value.lastIndexOf('/') + 1));
    if (value === null) return null;
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
    return undefined;
  };
}
