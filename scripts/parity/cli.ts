/**
 * `npm run parity -- --legacy <postgres-url> --new <postgres-url>`: runs the parity checks from a
 * terminal (the same module the ingest Worker's parity_check procedure runs), prints a table, and
 * exits 0 when every check passed, 1 when one failed, 2 when one could not run or on bad usage.
 * Nothing is written to either database.
 *
 * Options: --from/--to (shop-local dates; default the 30 days ending the day before the common
 * watermark), --tolerance (default 0.01), --json (the whole run with every check's details).
 * LEGACY_DATABASE_URL and DATABASE_URL stand in for --legacy and --new.
 */
import postgres from 'postgres';
import { runParityChecks } from '../../workers/shared/parity/runner.ts';
import { type CliValues, runCli, UsageError } from '../lib/cli.ts';
import { redact } from '../lib/postgres-url.ts';
import { formatParityRun } from './report.ts';

const USAGE = `usage: npm run parity -- --legacy <postgres-url> --new <postgres-url>
         [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--tolerance 0.01] [--json]`;

function connectionString(value: string | undefined, flag: string, variable: string): string {
  const url = value ?? process.env[variable];
  if (!url) throw new UsageError(`${flag} is required (or set ${variable})`);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`${flag} is not a URL: ${redact(url)}`);
  }
  if (!/^postgres(ql)?:$/.test(parsed.protocol)) throw new UsageError(`${flag} must be a postgres:// URL`);
  return url;
}

const OPTIONS = {
  legacy: { type: 'string' },
  new: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  tolerance: { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', default: false },
} as const;

function tolerance(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!(number > 0 && number < 1))
    throw new UsageError('--tolerance must be a number greater than 0 and below 1 (0.01 = 1%)');
  return number;
}

async function main(values: CliValues<typeof OPTIONS>): Promise<number> {
  const legacyUrl = connectionString(values.legacy, '--legacy', 'LEGACY_DATABASE_URL');
  const newUrl = connectionString(values.new, '--new', 'DATABASE_URL');
  const parameters = { from: values.from, to: values.to, tolerance: tolerance(values.tolerance) };
  for (const flag of ['from', 'to'] as const) {
    const date = parameters[flag];
    if (date !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(date))
      throw new UsageError(`--${flag} must be a date YYYY-MM-DD`);
  }
  if (parameters.from && parameters.to && parameters.from > parameters.to) {
    throw new UsageError('--from must not be after --to');
  }

  const options = { max: 4, onnotice: () => {}, connection: { application_name: 'parity-cli' } } as const;
  const legacy = postgres(legacyUrl, options);
  const fresh = postgres(newUrl, options);
  try {
    const run = await runParityChecks(legacy, fresh, parameters);
    console.log(values.json ? JSON.stringify(run, null, 2) : formatParityRun(run));
    return run.verdict === 'pass' ? 0 : run.verdict === 'fail' ? 1 : 2;
  } finally {
    await Promise.all([legacy.end({ timeout: 5 }), fresh.end({ timeout: 5 })]);
  }
}

runCli({ name: 'parity', usage: USAGE, options: OPTIONS, main });
