/**
 * HYPERDRIVE_CACHE_MODE against ENVIRONMENT (workers/shared/config.ts workerSection): a contradiction is a
 * configuration error naming it, answered 503 like a missing binding.
 */
import { describe, expect, it } from 'vitest';
import { workerSection } from '#shared/config.ts';
import { createApi } from './support/api.ts';

const check = (vars: Record<string, string>) => () => workerSection([]).read(vars);

describe('HYPERDRIVE_CACHE_MODE', () => {
  it('may be left unset, and names what answers the reads where it is set', () => {
    expect(check({ ENVIRONMENT: 'production' })).not.toThrow();
    expect(check({ ENVIRONMENT: 'production', HYPERDRIVE_CACHE_MODE: 'hyperdrive' })).not.toThrow();
    expect(check({ ENVIRONMENT: 'test', HYPERDRIVE_CACHE_MODE: 'emulated' })).not.toThrow();
    expect(check({ ENVIRONMENT: 'development', HYPERDRIVE_CACHE_MODE: 'direct' })).not.toThrow();
  });

  it('is refused when it contradicts the environment, or is not a mode', () => {
    expect(check({ ENVIRONMENT: 'production', HYPERDRIVE_CACHE_MODE: 'emulated' })).toThrow(
      'variable HYPERDRIVE_CACHE_MODE: emulated contradicts ENVIRONMENT=production',
    );
    expect(check({ ENVIRONMENT: 'staging', HYPERDRIVE_CACHE_MODE: 'direct' })).toThrow(
      'direct contradicts ENVIRONMENT=staging',
    );
    expect(check({ ENVIRONMENT: 'test', HYPERDRIVE_CACHE_MODE: 'hyperdrive' })).toThrow(
      "hyperdrive contradicts ENVIRONMENT=test: only a deployed Worker has Hyperdrive's cache",
    );
    expect(check({ ENVIRONMENT: 'test', HYPERDRIVE_CACHE_MODE: 'cached' })).toThrow(
      'variable HYPERDRIVE_CACHE_MODE: must be one of hyperdrive, emulated, direct',
    );
  });

  it('a mode contradicting the environment is a 503 naming it, before anything else is served', async () => {
    const api = await createApi();
    const local = await api.get('/health', { env: { HYPERDRIVE_CACHE_MODE: 'hyperdrive' } });
    expect(local.status).toBe(503);
    expect(local.body.error.message).toContain(
      'variable HYPERDRIVE_CACHE_MODE: hyperdrive contradicts ENVIRONMENT=test',
    );
    const deployed = await api.get('/api/me', {
      env: { ENVIRONMENT: 'production', HYPERDRIVE_CACHE_MODE: 'emulated' },
    });
    expect(deployed.status).toBe(503);
    expect(deployed.body.error.message).toContain(
      'variable HYPERDRIVE_CACHE_MODE: emulated contradicts ENVIRONMENT=production',
    );
  });
});
