/**
 * The fuzzing budget and the inputs the fast-check properties share (dashboard-api routes, ingest
 * webhook topics). Runs per property: FUZZ_RUNS (a binding from the environment variable,
 * vitest.config.ts), else 200 — what CI runs; `npm run fuzz` runs 10 000. Shrunk counterexamples
 * a run finds are kept in fuzz-regressions.ts and replayed first on every run (fast-check's
 * `examples`). FUZZ_SEED replays one reported run.
 */
import { env } from 'cloudflare:workers';
import { fc } from '@fast-check/vitest';
import { REGRESSIONS } from './fuzz-regressions.ts';

export const CI_FUZZ_RUNS = 200;

const bindings = env as unknown as { FUZZ_RUNS?: string; FUZZ_SEED?: string };

/** fast-check parameters for `property`: the run budget, its kept counterexamples, a seed to replay. */
export function fuzzParameters(property: string): { numRuns: number; examples: never[]; seed?: number } {
  const runs = Number(bindings.FUZZ_RUNS);
  const seed = Number(bindings.FUZZ_SEED);
  return {
    numRuns: runs > 0 ? runs : CI_FUZZ_RUNS,
    // kept counterexamples are the property's argument tuples (typed there, stored as data here)
    examples: (REGRESSIONS[property] ?? []) as never[],
    ...(Number.isInteger(seed) && bindings.FUZZ_SEED ? { seed } : {}),
  };
}

/** A generous timeout for one property's runs (about 1 s a run, at least 2 minutes). */
export function fuzzTimeoutMs(): number {
  const runs = Number(bindings.FUZZ_RUNS);
  return Math.max(120_000, (runs > 0 ? runs : CI_FUZZ_RUNS) * 1000);
}

/** Characters that break naive SQL, LIKE patterns, JSON, URLs or UTF-8 handling. */
export const nastyText = fc.string({
  unit: fc.oneof(
    fc.constantFrom(
      '\u0000',
      '%',
      '_',
      '\\',
      "'",
      '"',
      '\ud800',
      '\udfff',
      '\u00a0',
      '\u2028',
      'ß',
      'İ',
      '#',
      '?',
      '/',
      ' ',
    ),
    fc.string({ minLength: 1, maxLength: 1 }),
  ),
  maxLength: 12,
});

export const jsonScalar = fc.oneof(
  { weight: 3, arbitrary: nastyText },
  { weight: 1, arbitrary: fc.string({ unit: 'binary' }) },
  { weight: 1, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.double() },
  { weight: 1, arbitrary: fc.boolean() },
  { weight: 1, arbitrary: fc.constant(null) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '',
      ' ',
      'A',
      'DORMANT',
      'featured',
      'image',
      'products',
      'https://x.example/a.png',
      '#abcdef',
      '2026-02-29',
    ),
  },
);

export const anyJson = fc.oneof(jsonScalar, fc.jsonValue(), fc.dictionary(fc.string(), jsonScalar));
