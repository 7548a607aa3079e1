/**
 * Compares two JSON answers to the same request: the legacy API's and the new one's. Numbers are
 * equal within a tolerance (absolute, or relative to the larger of the two); everything else must
 * be equal. Ignore rules (ignore-rules.json, versioned data with a reason each) name JSON paths
 * whose values may differ by design: `ignore` skips the value, `shape` still compares its structure
 * (keys and value types) but not the values.
 *
 * Paths are JSON-pointer-like: `/data/0/id`. In rules, `*` matches one segment and `**` any number.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface IgnoreRule {
  /** The scenario names it applies to (`*` or absent: every scenario). */
  scenario?: string | string[];
  path: string;
  mode?: 'ignore' | 'shape';
  reason: string;
}

export interface IgnoreRules {
  version: number;
  rules: IgnoreRule[];
}

export interface NumericTolerance {
  /** |a − b| ≤ absolute passes (e.g. 0.005: half a cent). */
  absolute: number;
  /** |a − b| / max(|a|, |b|) ≤ relative passes. */
  relative: number;
}

export interface Difference {
  path: string;
  legacy: Json | undefined;
  new: Json | undefined;
  /** What differs, in words. */
  kind: 'value' | 'type' | 'missing_on_new' | 'missing_on_legacy' | 'length' | 'status';
}

export interface DiffResult {
  differences: Difference[];
  /** Rules that absorbed at least one difference, with how many. */
  ignored: Map<IgnoreRule, number>;
}

function typeOf(value: Json | undefined): string {
  if (value === undefined) return 'absent';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function segmentsOf(path: string): string[] {
  return path.split('/').filter((s) => s !== '');
}

export function pathMatches(pattern: string, path: string): boolean {
  const p = segmentsOf(pattern);
  const s = segmentsOf(path);
  const match = (i: number, j: number): boolean => {
    if (i === p.length) return j === s.length;
    if (p[i] === '**') return match(i + 1, j) || (j < s.length && match(i, j + 1));
    if (j === s.length) return false;
    return (p[i] === '*' || p[i] === s[j]) && match(i + 1, j + 1);
  };
  return match(0, 0);
}

export function rulesFor(rules: readonly IgnoreRule[], scenario: string): IgnoreRule[] {
  return rules.filter((rule) => {
    if (rule.scenario === undefined || rule.scenario === '*') return true;
    return Array.isArray(rule.scenario) ? rule.scenario.includes(scenario) : rule.scenario === scenario;
  });
}

export function numbersMatch(a: number, b: number, tolerance: NumericTolerance): boolean {
  if (a === b) return true;
  const delta = Math.abs(a - b);
  if (delta <= tolerance.absolute) return true;
  return delta / Math.max(Math.abs(a), Math.abs(b)) <= tolerance.relative;
}

export function diffJson(
  legacy: Json | undefined,
  fresh: Json | undefined,
  options: { rules: readonly IgnoreRule[]; tolerance: NumericTolerance },
): DiffResult {
  const result: DiffResult = { differences: [], ignored: new Map() };
  const ruleAt = (path: string) => options.rules.find((rule) => pathMatches(rule.path, path));

  const walk = (a: Json | undefined, b: Json | undefined, path: string, shapeOnly: boolean): void => {
    const rule = ruleAt(path);
    if (rule && (rule.mode ?? 'ignore') === 'ignore') {
      if (JSON.stringify(a) !== JSON.stringify(b)) result.ignored.set(rule, (result.ignored.get(rule) ?? 0) + 1);
      return;
    }
    const shape = shapeOnly || rule?.mode === 'shape';
    const before = result.differences.length;
    const ta = typeOf(a);
    const tb = typeOf(b);
    if (ta !== tb) {
      const kind = ta === 'absent' ? 'missing_on_legacy' : tb === 'absent' ? 'missing_on_new' : 'type';
      // A value null on one side only is a difference of value, not of shape.
      if (!(shape && (ta === 'null' || tb === 'null'))) result.differences.push({ path, legacy: a, new: b, kind });
    } else if (ta === 'array') {
      const x = a as Json[];
      const y = b as Json[];
      if (x.length !== y.length && !shape) {
        result.differences.push({ path, legacy: x.length, new: y.length, kind: 'length' });
      }
      for (let i = 0; i < Math.min(x.length, y.length); i++) walk(x[i], y[i], `${path}/${i}`, shape);
    } else if (ta === 'object') {
      const x = a as Record<string, Json>;
      const y = b as Record<string, Json>;
      for (const key of new Set([...Object.keys(x), ...Object.keys(y)])) walk(x[key], y[key], `${path}/${key}`, shape);
    } else if (!shape) {
      const equal = ta === 'number' ? numbersMatch(a as number, b as number, options.tolerance) : a === b;
      if (!equal) result.differences.push({ path, legacy: a, new: b, kind: 'value' });
    }
    if (rule && result.differences.length === before && shape && JSON.stringify(a) !== JSON.stringify(b)) {
      result.ignored.set(rule, (result.ignored.get(rule) ?? 0) + 1);
    }
  };
  walk(legacy, fresh, '', false);
  return result;
}

/** Parses and checks ignore-rules.json: every rule needs a path and a reason. */
export function parseIgnoreRules(text: string): IgnoreRules {
  const data = JSON.parse(text) as Partial<IgnoreRules>;
  if (typeof data.version !== 'number' || !Array.isArray(data.rules)) {
    throw new Error('ignore rules must be {"version": <number>, "rules": [...]}');
  }
  data.rules.forEach((rule, i) => {
    if (typeof rule.path !== 'string' || !rule.path.startsWith('/')) {
      throw new Error(`ignore rule ${i}: path must be a JSON path starting with /`);
    }
    if (typeof rule.reason !== 'string' || rule.reason.trim().length < 10) {
      throw new Error(`ignore rule ${i} (${rule.path}): every rule needs a reason`);
    }
    if (rule.mode !== undefined && rule.mode !== 'ignore' && rule.mode !== 'shape') {
      throw new Error(`ignore rule ${i} (${rule.path}): mode must be "ignore" or "shape"`);
    }
  });
  return data as IgnoreRules;
}
