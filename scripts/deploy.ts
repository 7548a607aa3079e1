/**
 * `npm run deploy -- --env staging|production [--dry-run | --create-hyperdrive]`
 *
 * 1. Checks both Workers' configs: `wrangler deploy --dry-run` bundles each one for the
 *    environment, and no binding or variable of that environment is still a REPLACE_WITH placeholder.
 * 2. Updates the environment's two Hyperdrive configs (scripts/lib/hyperdrive-configs.ts): query
 *    caching on with HYPERDRIVE_MAX_AGE / HYPERDRIVE_SWR, and the origin connection limits. With
 *    --dry-run it prints the wrangler commands. `--create-hyperdrive` creates the configs whose ids
 *    are still placeholders (from <ENV>_HYPERDRIVE_ORIGIN_URL / <ENV>_LEGACY_HYPERDRIVE_ORIGIN_URL)
 *    and prints the ids to put into both wrangler configs; it deploys nothing.
 * 3. Migrates the environment's database under the migration advisory lock
 *    (scripts/lib/migrations.ts). With --dry-run it only prints the migration status.
 * 4. Deploys the ingest Worker, then dashboard-api (`wrangler deploy --env …`): the consumer of
 *    new work goes out before the API that enqueues it. With --dry-run, step 1 is all there is.
 * 5. Sets the R2 archive's lifecycle rule (scripts/lib/r2-lifecycle.ts: RAW_ARCHIVE_RETENTION_DAYS,
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
import {
  type HyperdriveCommand,
  type HyperdriveIds,
  hyperdriveCommands,
  hyperdriveDeploySettings,
  hyperdriveIdsOf,
} from './lib/hyperdrive-configs.ts';
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

const USAGE = 'usage: npm run deploy -- --env staging|production [--dry-run | --create-hyperdrive]';

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
  walk(await rawEnvironment(configPath, environment), `env.${environment}`);
  return found;
}

/** A wrangler config's env.<environment> section, read by wrangler's own parser (loaded only when needed: a large module). */
async function rawEnvironment(configPath: string, environment: DeployEnvironment): Promise<unknown> {
  const { experimental_readRawConfig } = await import('wrangler');
  return experimental_readRawConfig({ config: configPath }).rawConfig.env?.[environment];
}

/** The Hyperdrive ids both Workers bind in the environment; they must be the same configs. */
async function hyperdriveIds(environment: DeployEnvironment): Promise<HyperdriveIds> {
  const [first, ...others] = await Promise.all(
    WORKER_CONFIGS.map(async ({ config }) =>
      hyperdriveIdsOf(await rawEnvironment(join(PROJECT_ROOT, config), environment), config),
    ),
  );
  for (const other of others) {
    if (JSON.stringify(other) !== JSON.stringify(first)) {
      throw new ConfigurationError(
        `the Workers bind different Hyperdrive configs in ${environment}: ${WORKER_CONFIGS.map((w) => w.config).join(' and ')} must name the same ids`,
      );
    }
  }
  return first as HyperdriveIds;
}

/** The wrangler commands for the environment's Hyperdrive configs, printed; problems named. */
async function planHyperdrive(environment: DeployEnvironment): Promise<HyperdriveCommand[]> {
  const settings = hyperdriveDeploySettings();
  const commands = hyperdriveCommands({ environment, ids: await hyperdriveIds(environment), settings });
  step(
    `Hyperdrive configs: query caching on (max_age ${settings.maxAgeSeconds} s, stale_while_revalidate ${settings.staleWhileRevalidateSeconds} s), origin connection limit ${settings.originConnectionLimit.HYPERDRIVE} (new database) / ${settings.originConnectionLimit.LEGACY_HYPERDRIVE} (legacy)`,
  );
  return commands;
}

/** Creates the configs whose ids are placeholders, and says where their ids go. */
async function createHyperdrive(environment: DeployEnvironment): Promise<void> {
  const toCreate = (await planHyperdrive(environment)).filter((command) => command.action === 'create');
  if (toCreate.length === 0) {
    step(`both Hyperdrive configs of ${environment} exist: nothing to create (a deploy updates their settings)`);
    return;
  }
  const missing = toCreate.flatMap((command) => (command.missing ? [command.missing] : []));
  if (missing.length > 0) throw new ConfigurationError(missing.join('\n'));
  for (const command of toCreate) {
    step(command.display);
    await run(wrangler, command.args);
  }
  step(
    `put the new ids (above) into env.${environment}.hyperdrive of wrangler.toml and workers/ingest/wrangler.toml, then deploy`,
  );
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
    const message = `placeholders left in the ${environment} configuration (docs/deploying.md "Deploying"):\n  ${placeholders.join('\n  ')}`;
    if (!dryRun) throw new ConfigurationError(message);
    console.warn(`\x1b[33mwarning\x1b[0m: ${message}`);
  }

  const hyperdrive = await planHyperdrive(environment);
  for (const command of hyperdrive) {
    if (command.action === 'update') step(`${dryRun ? 'would run: ' : ''}${command.display}`);
    else
      console.warn(
        `\x1b[33mwarning\x1b[0m: the ${command.binding} config does not exist yet: \`npm run deploy -- --env ${environment} --create-hyperdrive\`${command.missing ? ` (${command.missing})` : ''}`,
      );
    if (!dryRun && command.action === 'update') await run(wrangler, command.args);
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
  step(`deployed to ${environment}: check /health on both Workers (docs/operations.md "Observability")`);
}

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      env: { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
      'create-hyperdrive': { type: 'boolean', default: false },
    },
  });
  const environment = values.env;
  if (!DEPLOY_ENVIRONMENTS.includes(environment as DeployEnvironment)) {
    throw new ConfigurationError(`--env must be staging or production\n${USAGE}`);
  }
  if (values['create-hyperdrive']) await createHyperdrive(environment as DeployEnvironment);
  else await deploy(environment as DeployEnvironment, values['dry-run']);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
