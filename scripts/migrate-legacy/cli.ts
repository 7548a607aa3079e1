/**
 * The one-time data migration from the legacy database into the new schema:
 *
 *   npm run migrate:legacy -- <assess|plan|run|verify> [--dry-run] [--tables a,b] [--batch-size N]
 *
 * Source: LEGACY_DATABASE_URL (only read). Target: DATABASE_URL (migrated with `npm run db:migrate`).
 * Exit 0 when all is well, 1 on blockers, differences or a failed copy, 2 on a usage or
 * configuration error. See docs/data-migration.md.
 */
import { parseArgs } from 'node:util';
import { ConfigurationError } from '../lib/postgres-url.ts';
import { type Assessment, assess, formatAssessment } from './assess.ts';
import { openMigrationDatabases, type Queryable } from './databases.ts';
import { MigrationError } from './errors.ts';
import { buildPlan, formatPlan } from './plan.ts';
import { terminalProgress } from './progress.ts';
import { formatRunReport, MigrationBlocked, runMigration } from './run.ts';
import { selectMappings } from './selection.ts';
import { formatVerifyReport, verifyMigration } from './verify.ts';

const USAGE = `usage: npm run migrate:legacy -- <assess|plan|run|verify> [options]

  assess            inventory of the legacy tables and every blocker, before anything moves
  plan              the ordered steps run would take (foreign-key order, batches, resume points)
  run               copy, batched and resumable; then verify
  verify            row counts, checksums and spot checks per table; names the keys that differ

  --tables a,b      only these tables (legacy or new names); default: the whole names map
  --batch-size N    rows per batch, one target transaction each (default 5000)
  --dry-run         run: copy everything in one transaction, verify it, roll it all back
  --no-verify       run: do not verify after copying
  --spot-checks N   verify: random whole rows compared per table (default 20)
  --json            print the report as JSON

Source LEGACY_DATABASE_URL (only read), target DATABASE_URL.`;

type Command = 'assess' | 'plan' | 'run' | 'verify';

function parse(argv: string[]) {
  try {
    return parseCommandLine(argv);
  } catch (error) {
    if (error instanceof ConfigurationError) throw error;
    throw new ConfigurationError(`${(error as Error).message}\n\n${USAGE}`); // unknown or malformed option
  }
}

function parseCommandLine(argv: string[]) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      tables: { type: 'string' },
      'batch-size': { type: 'string', default: '5000' },
      'dry-run': { type: 'boolean', default: false },
      'no-verify': { type: 'boolean', default: false },
      'spot-checks': { type: 'string', default: '20' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const command = positionals[0];
  if (values.help || !command) throw new ConfigurationError(USAGE);
  if (!['assess', 'plan', 'run', 'verify'].includes(command) || positionals.length > 1) {
    throw new ConfigurationError(`unknown command ${positionals.join(' ')}\n\n${USAGE}`);
  }
  const positive = (name: string, raw: string) => {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1)
      throw new ConfigurationError(`--${name} must be a positive integer (got ${raw})`);
    return n;
  };
  if (values['dry-run'] && command !== 'run') throw new ConfigurationError('--dry-run applies to run only');
  return {
    command: command as Command,
    tables: values.tables
      ?.split(',')
      .map((t) => t.trim())
      .filter(Boolean),
    batchSize: positive('batch-size', values['batch-size']),
    dryRun: values['dry-run'],
    verify: !values['no-verify'],
    spotChecks: positive('spot-checks', values['spot-checks']),
    json: values.json,
  };
}

function assessmentJson(assessment: Assessment) {
  return {
    tables: assessment.tables.map((t) => ({
      legacyTable: t.mapping.legacyTable,
      newTable: t.mapping.newTable,
      origin: t.mapping.origin,
      legacyRows: t.legacyRows,
      legacySize: t.legacySize,
      legacyBytes: t.legacyBytes,
      targetRows: t.targetRows,
      checkpoint: t.checkpoint,
      columns: t.columns,
    })),
    blockers: assessment.blockers,
    warnings: assessment.warnings,
  };
}

async function main(argv: string[]): Promise<number> {
  const args = parse(argv);
  const mappings = selectMappings(args.tables);
  const db = await openMigrationDatabases();
  const print = (text: string, json: unknown) => console.log(args.json ? JSON.stringify(json, null, 2) : text);
  try {
    switch (args.command) {
      case 'assess': {
        const assessment = await assess(db, mappings);
        print(formatAssessment(assessment), assessmentJson(assessment));
        return assessment.blockers.length > 0 ? 1 : 0;
      }
      case 'plan': {
        const assessment = await assess(db, mappings, { dataChecks: false });
        const steps = buildPlan(assessment, args.batchSize);
        print(formatPlan(steps, assessment, args.batchSize), { steps, blockers: assessment.blockers });
        return assessment.blockers.length > 0 ? 1 : 0;
      }
      case 'verify': {
        const report = await verifyMigration(db, mappings, { spotChecks: args.spotChecks });
        print(formatVerifyReport(report), report);
        return report.ok ? 0 : 1;
      }
      case 'run': {
        let verified = true;
        const verifyInto = async (target: Queryable) => {
          const report = await verifyMigration({ legacy: db.legacy, target }, mappings, {
            spotChecks: args.spotChecks,
          });
          verified = report.ok;
          const heading = args.dryRun ? 'dry run: verified inside the transaction, before its rollback\n' : '';
          print(`${heading}${formatVerifyReport(report)}`, { verify: report });
        };
        try {
          const report = await runMigration(db, mappings, {
            batchSize: args.batchSize,
            dryRun: args.dryRun,
            progress: args.json ? undefined : terminalProgress(),
            // a dry run verifies inside its transaction, before the rollback
            beforeFinish: args.dryRun && args.verify ? verifyInto : undefined,
          });
          print(formatRunReport(report), { run: report });
        } catch (error) {
          if (!(error instanceof MigrationBlocked)) throw error;
          const lines = error.blockers.map((b) => `  - [${b.legacyTable ?? 'database'}] ${b.rule}: ${b.problem}`);
          print(`${error.message}:\n${lines.join('\n')}`, { blockers: error.blockers });
          return 1;
        }
        if (!args.dryRun && args.verify) await verifyInto(db.target);
        return verified ? 0 : 1;
      }
    }
  } finally {
    await db.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof ConfigurationError) {
      console.error(error.message);
      process.exitCode = 2;
    } else if (error instanceof MigrationError) {
      console.error(`error: ${error.message}`);
      process.exitCode = 1;
    } else {
      const e = error as { message?: string; code?: string };
      console.error(`error: ${e?.message ?? String(error)}${e?.code ? ` (${e.code})` : ''}`);
      process.exitCode = 1;
    }
  },
);
