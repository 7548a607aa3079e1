/**
 * The Hyperdrive configs a deploy creates or updates (scripts/deploy.ts): one per database, query
 * caching on (production's default, which the code is written for: docs/testing.md "Reading fresh under
 * Hyperdrive's query cache") with the documented max_age / stale_while_revalidate, and an origin
 * connection limit sized against the database's max_connections. Plans wrangler commands only;
 * the deploy script runs them, so this is tested without a network.
 */
import { ConfigurationError, redact } from './postgres-url.ts';

export const HYPERDRIVE_BINDINGS = ['HYPERDRIVE', 'LEGACY_HYPERDRIVE'] as const;
export type HyperdriveBinding = (typeof HYPERDRIVE_BINDINGS)[number];

export interface HyperdriveDeploySettings {
  maxAgeSeconds: number;
  staleWhileRevalidateSeconds: number;
  /** Hyperdrive's (soft) limit of connections to the origin, per config. */
  originConnectionLimit: Record<HyperdriveBinding, number>;
}

/** Hyperdrive's minimum pool size. */
const MINIMUM_ORIGIN_CONNECTIONS = 5;

/**
 * From the environment: HYPERDRIVE_MAX_AGE (60) and HYPERDRIVE_SWR (15) seconds, and
 * HYPERDRIVE_ORIGIN_CONNECTION_LIMIT (20) / LEGACY_HYPERDRIVE_ORIGIN_CONNECTION_LIMIT (5).
 */
export function hyperdriveDeploySettings(env: NodeJS.ProcessEnv = process.env): HyperdriveDeploySettings {
  const whole = (name: string, fallback: number, minimum: number) => {
    const raw = env[name]?.trim();
    if (!raw) return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < minimum) {
      throw new ConfigurationError(`${name} must be a whole number of at least ${minimum}, got ${raw}`);
    }
    return value;
  };
  return {
    maxAgeSeconds: whole('HYPERDRIVE_MAX_AGE', 60, 1),
    staleWhileRevalidateSeconds: whole('HYPERDRIVE_SWR', 15, 0),
    originConnectionLimit: {
      HYPERDRIVE: whole('HYPERDRIVE_ORIGIN_CONNECTION_LIMIT', 20, MINIMUM_ORIGIN_CONNECTIONS),
      LEGACY_HYPERDRIVE: whole('LEGACY_HYPERDRIVE_ORIGIN_CONNECTION_LIMIT', 5, MINIMUM_ORIGIN_CONNECTIONS),
    },
  };
}

export type HyperdriveIds = Record<HyperdriveBinding, string>;

/** The ids a wrangler config's env.<environment> section binds (raw config, as wrangler reads it). */
export function hyperdriveIdsOf(rawEnvironment: unknown, configPath: string): HyperdriveIds {
  const entries = (rawEnvironment as { hyperdrive?: { binding?: string; id?: string }[] } | undefined)?.hyperdrive;
  const ids: Partial<HyperdriveIds> = {};
  for (const entry of entries ?? []) {
    if (HYPERDRIVE_BINDINGS.includes(entry.binding as HyperdriveBinding) && entry.id) {
      ids[entry.binding as HyperdriveBinding] = entry.id;
    }
  }
  const missing = HYPERDRIVE_BINDINGS.filter((binding) => !ids[binding]);
  if (missing.length > 0) throw new ConfigurationError(`${configPath}: no Hyperdrive binding ${missing.join(', ')}`);
  return ids as HyperdriveIds;
}

export const isPlaceholder = (id: string) => /REPLACE[_-]WITH/i.test(id);

export interface HyperdriveCommand {
  binding: HyperdriveBinding;
  action: 'create' | 'update';
  /** wrangler's arguments (after `wrangler`); empty when `missing` says why it cannot be made. */
  args: string[];
  /** The same, with the origin's password hidden, to print. */
  display: string;
  /** Why the config cannot be created yet: the origin variable is not set. */
  missing?: string;
}

/** The name a created config gets, as docs/deploying.md "What to create per environment" names them. */
export function hyperdriveConfigName(environment: string, binding: HyperdriveBinding): string {
  return `${binding === 'LEGACY_HYPERDRIVE' ? 'legacy' : 'dashboard'}-${environment}`;
}

/** The variable holding a binding's origin connection string, needed only to create its config. */
export function originVariable(environment: string, binding: HyperdriveBinding): string {
  return `${environment.toUpperCase()}_${binding}_ORIGIN_URL`;
}

/**
 * One wrangler command per binding: `hyperdrive update <id>` with the cache settings and the
 * origin connection limit, or, for an id still a placeholder, `hyperdrive create` from the
 * origin variable (`missing` names it when it is not set).
 */
export function hyperdriveCommands(input: {
  environment: string;
  ids: HyperdriveIds;
  settings: HyperdriveDeploySettings;
  env?: NodeJS.ProcessEnv;
}): HyperdriveCommand[] {
  const { environment, ids, settings, env = process.env } = input;
  return HYPERDRIVE_BINDINGS.map((binding) => {
    const common = [
      '--max-age',
      String(settings.maxAgeSeconds),
      '--swr',
      String(settings.staleWhileRevalidateSeconds),
      '--origin-connection-limit',
      String(settings.originConnectionLimit[binding]),
    ];
    const id = ids[binding];
    if (!isPlaceholder(id)) {
      const args = ['hyperdrive', 'update', id, ...common];
      return { binding, action: 'update', args, display: `wrangler ${args.join(' ')}` };
    }
    const variable = originVariable(environment, binding);
    const origin = env[variable]?.trim();
    if (!origin) {
      const missing = `${variable} is not set: the ${binding} Hyperdrive config of ${environment} does not exist yet (its id is a placeholder), and creating it needs the origin's postgres:// connection string (the application role, not the migration one)`;
      return { binding, action: 'create', args: [], display: '', missing };
    }
    const name = hyperdriveConfigName(environment, binding);
    const args = ['hyperdrive', 'create', name, '--connection-string', origin, ...common];
    const display = `wrangler ${['hyperdrive', 'create', name, '--connection-string', redact(origin), ...common].join(' ')}`;
    return { binding, action: 'create', args, display };
  });
}
