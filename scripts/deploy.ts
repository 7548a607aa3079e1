/**
 * `npm run deploy -- --env staging|production [--dry-run]`
 *
 * 1. Checks both Workers' configs: `wrangler deploy --dry-run` bundles each one for the
 *    environment, and no binding or variable of that environment is still a REPLACE_WITH placeholder.
 * 2. Migrates the environment's database under the migration advisory lock
 *    (scripts/lib/migrations.ts). With --dry-run it only prints the migration status.
 * 3. Deploys the ingest Worker, then dashboard-api (`wrangler deploy --env …`): the consumer of
 *    new work goes out before the API that enqueues it. With --dry-run, step 1 is all there is.
 * 4. Sets the R2 archive's lifecycle rule (scripts/lib/r2-lifecycle.ts: RAW_ARCHIVE_RETENTION_DAYS,
 *    default 400 days). With --dry-run it is only printed.
 *
 * The database is `<ENV>_DATABASE_URL` (STAGING_DATABASE_URL, PRODUCTION_DATABASE_URL) or else
 * DATABASE_URL: a direct connection (not Hyperdrive's), with a role that may run DDL.
 * Wrangler authenticates with CLOUDFLARE_API_TOKEN (+ CLOUDFLARE_ACCOUNT_ID) or `wrangler login`.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { migrate, PROJECT_ROOT, runDbmate, withMigrationLock } from './lib/migrations.ts';
import { ConfigurationError, redact, requireDatabaseUrl } from './lib/postgres-url.ts';
import { archiveLifecycle } from './lib/r2-lifecycle.ts';

const DEPLOY_ENVIRONMENTS = ['staging', 'production'] as const;
type DeployEnvironment = (typeof DEPLOY_ENVIRONMENTS)[number];

/** In deploy order: the queue consumer before the API that enqueues work for it. */
const WORKER_CONFIGS = [
  { worker: 'ingest', config: 'workers/ingest/wrangler.toml' },
  { worker: 'dashboard-api', config: 'wrangler.toml' },
] as const;

const USAGE = 'usage: npm run deploy -- --env staging|production [--dry-run]';

function step(message: string): void {
  console.log(`\x1b[36m▸\x1b[0m ${message}`);
}

/** The variable naming the environment's database, and its value. */
function databaseUrlFor(environment: DeployEnvironment): { variable: string; url: string } {
  const specific = `${environment.toUpperCase()}_DATABASE_URL`;
  const variable = process.env[specific] ? specific : 'DATABASE_URL';
  if (!process.env[variable]) {
    throw new ConfigurationError(
      `${specific} (or DATABASE_URL) is not set: give the ${environment} database's direct postgres:// connection string.`,
    );
  }
  return { variable, url: requireDatabaseUrl(variable) };
}

/**
 * The settings of a wrangler config's `env.<environment>` section that still hold a placeholder
 * (`REPLACE_WITH_…`, `REPLACE-WITH-…`): ids and values to fill in before a real deploy.
 */
async function findPlaceholders(configPath: string, environment: DeployEnvironment): Promise<string[]> {
  // wrangler's config reader, loaded only when needed (a large module): the same parser wrangler deploys with.
  const { experimental_readRawConfig } = await import('wrangler');
  const { rawConfig } = experimental_readRawConfig({ config: configPath });
  const found: string[] = [];
  const walk = (value: unknown, path: string): void => {
    if (typeof value === 'string') {
      if (/REPLACE[_-]WITH/i.test(value)) found.push(`${path} = ${JSON.stringify(value)}`);
    } else if (Array.isArray(value)) {
      for (const [index, item] of value.entries()) walk(item, `${path}[${index}]`);
    } else if (value && typeof value === 'object') {
      for (const [key, item] of Object.entries(value)) walk(item, `${path}.${key}`);
    }
  };
  walk(rawConfig.env?.[environment], `env.${environment}`);
  return found;
}

function run(command: string, args: string[], options: { quiet?: boolean } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: PROJECT_ROOT,
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const collect = (stream: NodeJS.WriteStream) => (chunk: Buffer) => {
      output += chunk;
      if (!options.quiet) stream.write(chunk);
    };
    child.stdout.on('data', collect(process.stdout));
    child.stderr.on('data', collect(process.stderr));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(output);
      else
        reject(
          new Error(
            `${command.split('/').at(-1)} ${args.join(' ')} failed (exit ${code})${options.quiet ? `:\n${output.trim()}` : ''}`,
          ),
        );
    });
  });
}

const wrangler = join(PROJECT_ROOT, 'node_modules/.bin/wrangler');

async function deploy(environment: DeployEnvironment, dryRun: boolean): Promise<void> {
  const database = databaseUrlFor(environment);
  const mode = dryRun ? ' (dry run: nothing is changed)' : '';
  step(`deploying to ${environment}${mode}`);

  const placeholders: string[] = [];
  for (const { worker, config } of WORKER_CONFIGS) {
    step(`${worker}: wrangler deploy --dry-run --env ${environment} (${config})`);
    await run(wrangler, ['deploy', '--dry-run', '--config', config, '--env', environment], { quiet: true });
    for (const setting of await findPlaceholders(join(PROJECT_ROOT, config), environment)) {
      placeholders.push(`${config}: ${setting}`);
    }
  }
  if (placeholders.length > 0) {
    const message = `placeholders left in the ${environment} configuration (README "Deploying"):\n  ${placeholders.join('\n  ')}`;
    if (!dryRun) throw new ConfigurationError(message);
    console.warn(`\x1b[33mwarning\x1b[0m: ${message}`);
  }

  const lifecycle = await archiveLifecycle(join(PROJECT_ROOT, 'workers/ingest/wrangler.toml'), environment);
  const lifecycleLine = `R2 lifecycle: objects in ${lifecycle.bucket} expire ${lifecycle.days} days after they were written`;

  if (dryRun) {
    step(`${lifecycleLine} (not set in a dry run)`);
    step(`migration status of ${redact(database.url)} (${database.variable})`);
    await withMigrationLock(database.url, () => runDbmate(database.url, 'status'));
    step(
      `dry run complete: both Workers bundle for ${environment}; \`npm run deploy -- --env ${environment}\` would apply the pending migrations above and deploy them`,
    );
    return;
  }

  step(`migrating ${redact(database.url)} (${database.variable}) under the migration lock`);
  await migrate(database.url);
  for (const { worker, config } of WORKER_CONFIGS) {
    step(`${worker}: wrangler deploy --env ${environment}`);
    await run(wrangler, ['deploy', '--config', config, '--env', environment]);
  }
  step(lifecycleLine);
  const folder = await mkdtemp(join(tmpdir(), 'r2-lifecycle-'));
  try {
    const file = join(folder, 'lifecycle.json');
    await writeFile(file, JSON.stringify(lifecycle.policy));
    await run(wrangler, ['r2', 'bucket', 'lifecycle', 'set', lifecycle.bucket, '--file', file, '--force']);
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
  step(`deployed to ${environment}: check /health on both Workers (README "Observability")`);
}

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { env: { type: 'string' }, 'dry-run': { type: 'boolean', default: false } },
  });
  const environment = values.env;
  if (!DEPLOY_ENVIRONMENTS.includes(environment as DeployEnvironment)) {
    throw new ConfigurationError(`--env must be staging or production\n${USAGE}`);
  }
  await deploy(environment as DeployEnvironment, values['dry-run']);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
