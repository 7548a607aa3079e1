/**
 * The `npm start` session's wrangler configs: the two real configs (wrangler.toml,
 * workers/ingest/wrangler.toml), each written as JSON under the data directory with this session's
 * development variables (the local Access signer's JWKS URL, the Shopify simulator) and Postgres
 * URLs added. `wrangler dev` hands --var and --env-file only to the first of several configs,
 * and these values (free ports, a chosen data directory) differ per session, so they go in the
 * configs themselves. Only the development top level is kept: the staging and production `env`
 * sections are never run locally.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { experimental_readRawConfig } from 'wrangler';
import { PROJECT_ROOT } from '../lib/migrations.ts';

export const GATEWAY_CONFIG = join(PROJECT_ROOT, 'scripts/dev/gateway.wrangler.toml');

const WORKER_CONFIGS = {
  'dashboard-api': join(PROJECT_ROOT, 'wrangler.toml'),
  ingest: join(PROJECT_ROOT, 'workers/ingest/wrangler.toml'),
} as const;

export type WorkerName = keyof typeof WORKER_CONFIGS;

export interface DevSession {
  /** Extra or overriding [vars] per Worker. */
  vars: Record<WorkerName, Record<string, string>>;
  /** Hyperdrive binding → local connection string (both Workers). */
  hyperdrive: Record<string, string>;
}

interface HyperdriveBinding {
  binding: string;
  id: string;
  localConnectionString?: string;
}

/** Writes one JSON config per Worker into `dir` and returns their paths (in WORKER_CONFIGS order). */
export async function writeDevConfigs(dir: string, session: DevSession): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const paths: string[] = [];
  for (const [worker, configPath] of Object.entries(WORKER_CONFIGS) as [WorkerName, string][]) {
    const { rawConfig } = experimental_readRawConfig({ config: configPath });
    const { env: _deployed, ...development } = rawConfig as Record<string, unknown> & {
      main: string;
      vars?: Record<string, unknown>;
      hyperdrive?: HyperdriveBinding[];
    };
    const config = {
      ...development,
      main: resolve(dirname(configPath), development.main),
      vars: { ...development.vars, ...session.vars[worker] },
      hyperdrive: (development.hyperdrive ?? []).map((binding) => ({
        ...binding,
        localConnectionString: session.hyperdrive[binding.binding] ?? binding.localConnectionString,
      })),
    };
    const path = join(dir, `${worker}.wrangler.json`);
    await writeFile(path, `${JSON.stringify(config, null, 2)}\n`);
    paths.push(path);
  }
  return paths;
}
