/**
 * Which queries Hyperdrive's query cache may answer, as its documentation ("Query caching") states
 * the rule: read-only queries are cached; writes and queries that call a function PostgreSQL marks
 * volatile or stable are not. Decided from the query text alone, as a proxy sees it.
 */

/** SQL-standard spellings that call a stable function without parentheses. */
const KEYWORD_FUNCTIONS = new Set([
  'current_date',
  'current_time',
  'current_timestamp',
  'localtime',
  'localtimestamp',
  'current_user',
  'current_role',
  'session_user',
  'user',
  'current_schema',
  'current_catalog',
  'system_user',
]);

/** The statements that only read: everything else (DML, DDL, SET, BEGIN, COPY, CALL, EXPLAIN …) is not cached. */
const READ_STATEMENTS = new Set(['select', 'with', 'values', 'table']);

/** Words that make a read statement write or lock: data-modifying CTEs, SELECT INTO, merge. */
const WRITE_WORDS = new Set(['insert', 'update', 'delete', 'merge', 'into', 'truncate']);

interface Token {
  kind: 'word' | 'quoted' | 'punct' | 'literal';
  text: string;
}

/** Words, quoted identifiers and punctuation; comments dropped, literals opaque. */
export function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < sql.length) {
    const c = sql[i] as string;
    const next = sql[i + 1];
    if (/\s/.test(c)) {
      i += 1;
    } else if (c === '-' && next === '-') {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? sql.length : end + 1;
    } else if (c === '/' && next === '*') {
      let depth = 1;
      i += 2;
      while (i < sql.length && depth > 0) {
        if (sql.startsWith('/*', i)) {
          depth += 1;
          i += 2;
        } else if (sql.startsWith('*/', i)) {
          depth -= 1;
          i += 2;
        } else i += 1;
      }
    } else if (c === "'" || ((c === 'e' || c === 'E') && next === "'")) {
      const backslashes = c !== "'";
      i += backslashes ? 2 : 1;
      while (i < sql.length) {
        if (backslashes && sql[i] === '\\') i += 2;
        else if (sql[i] === "'" && sql[i + 1] === "'") i += 2;
        else if (sql[i] === "'") break;
        else i += 1;
      }
      i += 1;
      tokens.push({ kind: 'literal', text: '' });
    } else if (c === '"') {
      const end = sql.indexOf('"', i + 1);
      const stop = end < 0 ? sql.length : end;
      tokens.push({ kind: 'quoted', text: sql.slice(i + 1, stop) });
      i = stop + 1;
    } else if (c === '$' && /[A-Za-z_$]/.test(next ?? '')) {
      const tag = /^\$[A-Za-z_0-9]*\$/.exec(sql.slice(i))?.[0];
      if (tag) {
        const end = sql.indexOf(tag, i + tag.length);
        i = end < 0 ? sql.length : end + tag.length;
        tokens.push({ kind: 'literal', text: '' });
      } else i += 1;
    } else if (/[A-Za-z_\u0080-\uffff]/.test(c)) {
      const word = /^[A-Za-z_\u0080-\uffff][A-Za-z_0-9$\u0080-\uffff]*/.exec(sql.slice(i))?.[0] as string;
      tokens.push({ kind: 'word', text: word.toLowerCase() });
      i += word.length;
    } else {
      tokens.push({ kind: 'punct', text: c });
      i += 1;
    }
  }
  return tokens;
}

export type Cacheability =
  | { cacheable: true }
  | { cacheable: false; reason: 'not a read' | 'writes' | 'locks rows' | 'several statements' | 'calls a function' };

/**
 * Whether the cache may answer this query. `nonImmutable` holds the names of functions PostgreSQL
 * marks volatile or stable (pg_proc). A text-level check cannot tell overloads apart, so a name
 * counts only when every overload is (now, random, nextval, json_agg, to_char …), not when one is
 * (date_trunc, extract): the emulation errs towards caching, so it shows staleness rather than hides it.
 */
export function cacheability(sql: string, nonImmutable: ReadonlySet<string>): Cacheability & { function?: string } {
  const tokens = tokenize(sql);
  const first = tokens.findIndex((t) => t.text !== '(');
  const head = tokens[first];
  if (head?.kind !== 'word' || !READ_STATEMENTS.has(head.text)) return { cacheable: false, reason: 'not a read' };
  for (let i = 0; i < tokens.length; i += 1) {
    const token = tokens[i] as Token;
    const next = tokens[i + 1];
    const previous = tokens[i - 1];
    if (token.kind === 'punct' && token.text === ';' && tokens.slice(i + 1).some((t) => t.text !== ';')) {
      return { cacheable: false, reason: 'several statements' };
    }
    if (token.kind !== 'word') continue;
    // A column reference `x.user` or a cast target is not a call; `now()` and `pg_catalog.now()` are.
    if (previous?.text === '.' && next?.text !== '(') continue;
    if (WRITE_WORDS.has(token.text)) return { cacheable: false, reason: 'writes' };
    if (token.text === 'for' && ['update', 'share', 'no', 'key'].includes(next?.text ?? '')) {
      return { cacheable: false, reason: 'locks rows' };
    }
    if (next?.text === '(' && nonImmutable.has(token.text)) {
      return { cacheable: false, reason: 'calls a function', function: token.text };
    }
    if (KEYWORD_FUNCTIONS.has(token.text) && next?.text !== '(' && previous?.text !== 'as') {
      return { cacheable: false, reason: 'calls a function', function: token.text };
    }
  }
  return { cacheable: true };
}

/** The query that lists them, run once per database by the proxy. */
export const NON_IMMUTABLE_FUNCTIONS_QUERY =
  "select proname from pg_catalog.pg_proc group by proname having bool_and(provolatile <> 'i')";
