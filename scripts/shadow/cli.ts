/**
 * The shadow API comparison (phase 1 of the cutover plan, "API responses match the old system"):
 *
 *   npm run shadow -- --legacy-base <url> --new-base <url> [--token <jwt>] [--include-writes]
 *
 * sends the request set of the 14 scenarios (scripts/shadow/requests.ts; GET only by default) to
 * both APIs, compares status codes and JSON bodies (numbers within a tolerance; paths named in the
 * versioned ignore rules, each with its reason, are skipped or compared by shape only), prints a
 * report, and exits 0 when everything matched, 1 when something differed, 2 on bad usage or when
 * an API could not be reached.
 *
 * --token is sent to both as `Authorization: Bearer` and `Cf-Access-Jwt-Assertion` (a Cloudflare
 * Access service token's JWT works for the new API); --legacy-token / --new-token override it per
 * side, --header "Name: value" adds a header to both.
 */
import { readFile } from 'node:fs/promises';
import { type CliValues, runCli, UsageError } from '../lib/cli.ts';
import { type DiffResult, diffJson, type IgnoreRule, type Json, parseIgnoreRules, rulesFor } from './diff.ts';
import { requestSet, SCENARIOS, type SideMemory, type Step } from './requests.ts';

const USAGE = `usage: npm run shadow -- --legacy-base <url> --new-base <url>
         [--token <jwt>] [--legacy-token <t>] [--new-token <t>] [--header "Name: value"]...
         [--include-writes] [--tolerance 0.000001] [--absolute-tolerance 0.005]
         [--rules scripts/shadow/ignore-rules.json] [--max-differences 10] [--timeout-ms 30000] [--json]`;

const OPTIONS = {
  'legacy-base': { type: 'string' },
  'new-base': { type: 'string' },
  token: { type: 'string' },
  'legacy-token': { type: 'string' },
  'new-token': { type: 'string' },
  header: { type: 'string', multiple: true, default: [] as string[] },
  'include-writes': { type: 'boolean', default: false },
  tolerance: { type: 'string', default: '0.000001' },
  'absolute-tolerance': { type: 'string', default: '0.005' },
  rules: { type: 'string', default: new URL('./ignore-rules.json', import.meta.url).pathname },
  'max-differences': { type: 'string', default: '10' },
  'timeout-ms': { type: 'string', default: '30000' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', default: false },
} as const;

class UnreachableError extends Error {}

interface Answer {
  status: number;
  body: Json | undefined;
}

interface StepOutcome {
  scenario: string;
  name: string;
  method: string;
  path: string;
  outcome: 'identical' | 'different' | 'skipped';
  legacyStatus?: number;
  newStatus?: number;
  differences: { path: string; kind: string; legacy: Json | undefined; new: Json | undefined }[];
  ignored: { rule: string; reason: string; count: number }[];
}

function baseUrl(value: string | undefined, flag: string): URL {
  if (!value) throw new UsageError(`${flag} is required`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`${flag} is not a URL: ${value}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`${flag} must be http(s)`);
  return url;
}

function numberOption(value: string, flag: string, min: number): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < min) throw new UsageError(`${flag} must be a number ≥ ${min}`);
  return n;
}

function headersFor(token: string | undefined, extra: string[]): Headers {
  const headers = new Headers({ accept: 'application/json' });
  if (token) {
    headers.set('authorization', `Bearer ${token}`);
    headers.set('cf-access-jwt-assertion', token);
  }
  for (const line of extra) {
    const colon = line.indexOf(':');
    if (colon < 1) throw new UsageError(`--header must look like "Name: value", got ${line}`);
    headers.set(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
  }
  return headers;
}

async function send(
  base: URL,
  headers: Headers,
  spec: { method: string; path: string; body?: Json },
  timeoutMs: number,
): Promise<Answer> {
  const url = new URL(spec.path, base);
  const requestHeaders = new Headers(headers);
  if (spec.body !== undefined) requestHeaders.set('content-type', 'application/json');
  let response: Response;
  try {
    response = await fetch(url, {
      method: spec.method,
      headers: requestHeaders,
      body: spec.body === undefined ? undefined : JSON.stringify(spec.body),
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    throw new UnreachableError(`${spec.method} ${url}: ${(error as Error).cause ?? (error as Error).message}`);
  }
  const text = await response.text();
  let body: Json | undefined;
  if (text === '') body = undefined;
  else {
    try {
      body = JSON.parse(text) as Json;
    } catch {
      body = `<non-JSON ${response.headers.get('content-type') ?? 'body'}> ${text.slice(0, 200)}`;
    }
  }
  return { status: response.status, body };
}

function describeIgnored(result: DiffResult): StepOutcome['ignored'] {
  return [...result.ignored.entries()].map(([rule, count]) => ({ rule: rule.path, reason: rule.reason, count }));
}

function show(value: Json | undefined): string {
  if (value === undefined) return '(absent)';
  const text = JSON.stringify(value);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

async function main(values: CliValues<typeof OPTIONS>): Promise<number> {
  const legacyBase = baseUrl(values['legacy-base'], '--legacy-base');
  const newBase = baseUrl(values['new-base'], '--new-base');
  const tolerance = {
    relative: numberOption(values.tolerance, '--tolerance', 0),
    absolute: numberOption(values['absolute-tolerance'], '--absolute-tolerance', 0),
  };
  const maxDifferences = numberOption(values['max-differences'], '--max-differences', 1);
  const timeoutMs = numberOption(values['timeout-ms'], '--timeout-ms', 1);
  let rules: IgnoreRule[];
  try {
    rules = parseIgnoreRules(await readFile(values.rules, 'utf8')).rules;
  } catch (error) {
    throw new UsageError(`--rules ${values.rules}: ${(error as Error).message}`);
  }
  const legacyHeaders = headersFor(values['legacy-token'] ?? values.token, values.header);
  const newHeaders = headersFor(values['new-token'] ?? values.token, values.header);
  const includeWrites = values['include-writes'];
  const runId = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;

  const memory: { legacy: SideMemory; new: SideMemory } = { legacy: {}, new: {} };
  const outcomes: StepOutcome[] = [];
  for (const step of requestSet({ includeWrites })) {
    outcomes.push(await compareStep(step));
  }

  async function compareStep(step: Step): Promise<StepOutcome> {
    const legacySpec = step.request({ own: memory.legacy, legacy: memory.legacy, runId });
    const newSpec = step.request({ own: memory.new, legacy: memory.legacy, runId });
    const base = { scenario: step.scenario, name: step.name, differences: [], ignored: [] };
    if (!legacySpec || !newSpec) {
      return { ...base, method: legacySpec?.method ?? '', path: legacySpec?.path ?? '', outcome: 'skipped' };
    }
    const [a, b] = await Promise.all([
      send(legacyBase, legacyHeaders, legacySpec, timeoutMs),
      send(newBase, newHeaders, newSpec, timeoutMs),
    ]);
    step.remember?.(memory.legacy, a.status, a.body ?? null);
    step.remember?.(memory.new, b.status, b.body ?? null);
    const result = diffJson(a.body, b.body, { rules: rulesFor(rules, step.scenario), tolerance });
    const differences = result.differences.map((d) => ({
      path: d.path || '/',
      kind: d.kind,
      legacy: d.legacy,
      new: d.new,
    }));
    if (a.status !== b.status)
      differences.unshift({ path: '(status)', kind: 'status', legacy: a.status, new: b.status });
    return {
      ...base,
      method: legacySpec.method,
      path: legacySpec.path === newSpec.path ? legacySpec.path : `${legacySpec.path} | new: ${newSpec.path}`,
      outcome: differences.length === 0 ? 'identical' : 'different',
      legacyStatus: a.status,
      newStatus: b.status,
      differences,
      ignored: describeIgnored(result),
    };
  }

  const differing = outcomes.filter((o) => o.outcome === 'different');
  const covered = new Set(outcomes.filter((o) => o.outcome !== 'skipped').map((o) => o.scenario));
  const uncovered = SCENARIOS.filter((s) => !covered.has(s));
  if (values.json) {
    console.log(
      JSON.stringify(
        { legacy_base: legacyBase, new_base: newBase, include_writes: includeWrites, tolerance, outcomes, uncovered },
        null,
        2,
      ),
    );
  } else {
    const lines = [
      `shadow comparison: legacy ${legacyBase.origin} vs new ${newBase.origin}, ${includeWrites ? 'reads and writes' : 'GET only'}, ${outcomes.length} requests`,
      `numbers equal within ${tolerance.absolute} or ${tolerance.relative * 100}% ; ignore rules: ${values.rules}`,
      '',
    ];
    const width = Math.max(...outcomes.map((o) => o.scenario.length));
    for (const o of outcomes) {
      const label = o.outcome === 'identical' ? 'OK  ' : o.outcome === 'different' ? 'DIFF' : 'SKIP';
      const status =
        o.legacyStatus === undefined
          ? ''
          : ` ${o.legacyStatus}${o.newStatus !== o.legacyStatus ? `≠${o.newStatus}` : ''}`;
      lines.push(
        `${label}  ${o.scenario.padEnd(width)}  ${o.method} ${o.path || `(${o.name}: nothing to ask about)`}${status}`,
      );
      for (const d of o.differences.slice(0, maxDifferences)) {
        lines.push(
          `        ${d.path}: legacy ${show(d.legacy)}, new ${show(d.new)}${d.kind === 'value' ? '' : ` [${d.kind}]`}`,
        );
      }
      if (o.differences.length > maxDifferences) lines.push(`        … ${o.differences.length - maxDifferences} more`);
    }
    const ignored = new Map<string, { reason: string; count: number }>();
    for (const o of outcomes) {
      for (const i of o.ignored) {
        const entry = ignored.get(i.rule) ?? { reason: i.reason, count: 0 };
        entry.count += i.count;
        ignored.set(i.rule, entry);
      }
    }
    lines.push('');
    if (ignored.size > 0) {
      lines.push('differences absorbed by ignore rules:');
      for (const [rule, { reason, count }] of ignored) lines.push(`  ${rule} ×${count}: ${reason}`);
    }
    const identical = outcomes.filter((o) => o.outcome === 'identical').length;
    const skipped = outcomes.length - identical - differing.length;
    lines.push(
      `${identical} identical, ${differing.length} differing, ${skipped} skipped; scenarios covered ${covered.size}/${SCENARIOS.length}` +
        (uncovered.length > 0
          ? ` (not covered: ${uncovered.join(', ')}${includeWrites ? '' : ' — they are writes: --include-writes'})`
          : ''),
    );
    console.log(lines.join('\n'));
  }
  return differing.length > 0 ? 1 : 0;
}

runCli({ name: 'shadow', usage: USAGE, options: OPTIONS, main });
