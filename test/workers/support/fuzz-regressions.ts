/**
 * Shrunk counterexamples the fuzz properties found (test/workers/support/fuzz.ts), by property
 * name, each the property's arguments as fast-check printed them ("Counterexample: [...]"). They
 * run first on every run, so a fixed bug stays fixed. Add one when a property fails, with the
 * commit that fixed what it found.
 */
export const REGRESSIONS: Record<string, unknown[][]> = {};
