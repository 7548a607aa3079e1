/**
 * The Hyperdrive query cache emulation's settings for `npm start` and the tests (docs/testing.md
 * "Hyperdrive's query cache in tests and npm start"), and starting it in front of a server.
 */
import { type HyperdriveCache, startHyperdriveCache } from './hyperdrive-cache.ts';
import { ConfigurationError } from './postgres-url.ts';

export interface HyperdriveCacheSettings {
  enabled: boolean;
  maxAgeSeconds: number;
  staleWhileRevalidateSeconds: number;
}

/**
 * The emulation's settings from the environment: HYPERDRIVE_CACHE (on by default; `off` connects
 * the bindings straight to Postgres), HYPERDRIVE_CACHE_MAX_AGE and HYPERDRIVE_CACHE_SWR in seconds
 * (Hyperdrive's defaults: 60 and 15). Throws naming the variable when a value is not understood.
 */
export function hyperdriveCacheSettings(env: NodeJS.ProcessEnv = process.env): HyperdriveCacheSettings {
  const mode = (env.HYPERDRIVE_CACHE ?? 'on').trim().toLowerCase() || 'on';
  if (!['on', 'off'].includes(mode))
    throw new ConfigurationError(`HYPERDRIVE_CACHE must be on or off, got ${env.HYPERDRIVE_CACHE}`);
  const seconds = (name: string, fallback: number) => {
    const raw = env[name]?.trim();
    if (!raw) return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 0)
      throw new ConfigurationError(`${name} must be whole seconds (0 or more), got ${raw}`);
    return value;
  };
  return {
    enabled: mode === 'on',
    maxAgeSeconds: seconds('HYPERDRIVE_CACHE_MAX_AGE', 60),
    staleWhileRevalidateSeconds: seconds('HYPERDRIVE_CACHE_SWR', 15),
  };
}

/** Starts the emulation in front of the server `url` names, or returns undefined when it is off. */
export async function startHyperdriveCacheFor(
  url: string,
  settings: HyperdriveCacheSettings = hyperdriveCacheSettings(),
): Promise<HyperdriveCache | undefined> {
  if (!settings.enabled) return undefined;
  const { hostname, port } = new URL(url);
  return startHyperdriveCache({
    upstream: { host: hostname, port: Number(port || 5432) },
    maxAgeSeconds: settings.maxAgeSeconds,
    staleWhileRevalidateSeconds: settings.staleWhileRevalidateSeconds,
  });
}
