/**
 * Operator CLIs for the marts, against DATABASE_URL (the same functions the ingest Worker runs):
 *
 *   npm run marts:refresh -- [--full] [--from YYYY-MM-DD] [--to YYYY-MM-DD]
 *       default: recompute the keys loads recorded (a full rebuild when it must);
 *       --full: rebuild everything, or only [--from, --to] when given.
 *   npm run marts:classify -- [--as-of YYYY-MM-DD]
 *       classify_products(as_of), default as of today in the shop timezone.
 *
 * Prints one JSON line with what was done and how long it took.
 */
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import { classifyProducts } from '../workers/shared/marts/classification.ts';
import { refreshPerformanceDataset, refreshTouchedKeys } from '../workers/shared/marts/performance-dataset.ts';
import { ConfigurationError, requireDatabaseUrl } from './lib/postgres-url.ts';

const USAGE = `usage: node scripts/marts.ts refresh [--full] [--from YYYY-MM-DD] [--to YYYY-MM-DD]
       node scripts/marts.ts classify [--as-of YYYY-MM-DD]     (target: DATABASE_URL)`;

const DATE = /^\d{4}-\d{2}-\d{2}$/;

function date(name: string, value: string | undefined): string | undefined {
  if (value !== undefined && (!DATE.test(value) || Number.isNaN(Date.parse(value)))) {
    throw new ConfigurationError(`--${name} must be a date YYYY-MM-DD, got ${JSON.stringify(value)}\n${USAGE}`);
  }
  return value;
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  const { values } = parseArgs({
    args: rest,
    options: {
      full: { type: 'boolean', default: false },
      from: { type: 'string' },
      to: { type: 'string' },
      'as-of': { type: 'string' },
    },
    strict: true,
  });
  if (command !== 'refresh' && command !== 'classify') throw new ConfigurationError(USAGE);
  const sql = postgres(requireDatabaseUrl(), { max: 2, onnotice: () => {} });
  const started = performance.now();
  try {
    if (command === 'refresh') {
      const from = date('from', values.from);
      const to = date('to', values.to);
      if ((from || to) && !values.full) throw new ConfigurationError(`--from/--to need --full\n${USAGE}`);
      const result = values.full ? await refreshPerformanceDataset(sql, { from, to }) : await refreshTouchedKeys(sql);
      console.log(JSON.stringify({ command, ...result, ms: Math.round(performance.now() - started) }));
    } else {
      const asOf = date('as-of', values['as-of']);
      const updated = await classifyProducts(sql, asOf);
      console.log(
        JSON.stringify({ command, as_of: asOf ?? null, updated, ms: Math.round(performance.now() - started) }),
      );
    }
  } finally {
    await sql.end({ timeout: 5 });
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(
    error instanceof ConfigurationError || (error as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION'
      ? (error as Error).message
      : error,
  );
  process.exit(1);
});
