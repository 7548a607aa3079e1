/**
 * The Hyperdrive configs a deploy creates or updates (scripts/lib/hyperdrive-configs.ts): the
 * wrangler commands it plans, from the environment's variables and the ids in the wrangler configs.
 */
import { describe, expect, it } from 'vitest';
import { hyperdriveCommands, hyperdriveDeploySettings, hyperdriveIdsOf } from '../../scripts/lib/hyperdrive-configs.ts';

const REAL = { HYPERDRIVE: 'a'.repeat(32), LEGACY_HYPERDRIVE: 'b'.repeat(32) };

describe('Hyperdrive configs on deploy', () => {
  it('updates each existing config with caching on, the documented defaults and the origin connection limits', () => {
    const commands = hyperdriveCommands({
      environment: 'production',
      ids: REAL,
      settings: hyperdriveDeploySettings({}),
    });
    expect(commands.map((c) => c.args)).toEqual([
      ['hyperdrive', 'update', REAL.HYPERDRIVE, '--max-age', '60', '--swr', '15', '--origin-connection-limit', '20'],
      [
        'hyperdrive',
        'update',
        REAL.LEGACY_HYPERDRIVE,
        '--max-age',
        '60',
        '--swr',
        '15',
        '--origin-connection-limit',
        '5',
      ],
    ]);
    expect(commands.flatMap((c) => c.args)).not.toContain('--caching-disabled');
  });

  it('takes max_age, stale_while_revalidate and the limits from the variables, and refuses values Hyperdrive would', () => {
    const settings = hyperdriveDeploySettings({
      HYPERDRIVE_MAX_AGE: '30',
      HYPERDRIVE_SWR: '0',
      HYPERDRIVE_ORIGIN_CONNECTION_LIMIT: '40',
      LEGACY_HYPERDRIVE_ORIGIN_CONNECTION_LIMIT: '6',
    });
    expect(settings).toEqual({
      maxAgeSeconds: 30,
      staleWhileRevalidateSeconds: 0,
      originConnectionLimit: { HYPERDRIVE: 40, LEGACY_HYPERDRIVE: 6 },
    });
    expect(() => hyperdriveDeploySettings({ HYPERDRIVE_ORIGIN_CONNECTION_LIMIT: '4' })).toThrow(
      'HYPERDRIVE_ORIGIN_CONNECTION_LIMIT must be a whole number of at least 5, got 4',
    );
    expect(() => hyperdriveDeploySettings({ HYPERDRIVE_MAX_AGE: 'soon' })).toThrow('HYPERDRIVE_MAX_AGE');
  });

  it('creates a config whose id is still a placeholder from its origin variable, and prints it without the password', () => {
    const ids = { HYPERDRIVE: 'REPLACE_WITH_STAGING_HYPERDRIVE_ID', LEGACY_HYPERDRIVE: REAL.LEGACY_HYPERDRIVE };
    const origin = 'postgres://app:s3cret@db.example.com:5432/dashboard';
    const [created, updated] = hyperdriveCommands({
      environment: 'staging',
      ids,
      settings: hyperdriveDeploySettings({}),
      env: { STAGING_HYPERDRIVE_ORIGIN_URL: origin },
    });
    expect(created?.args).toEqual([
      'hyperdrive',
      'create',
      'dashboard-staging',
      '--connection-string',
      origin,
      '--max-age',
      '60',
      '--swr',
      '15',
      '--origin-connection-limit',
      '20',
    ]);
    expect(created?.display).not.toContain('s3cret');
    expect(updated?.action).toBe('update');

    const [withoutOrigin] = hyperdriveCommands({
      environment: 'staging',
      ids,
      settings: hyperdriveDeploySettings({}),
      env: {},
    });
    expect(withoutOrigin?.missing).toContain('STAGING_HYPERDRIVE_ORIGIN_URL is not set');
  });

  it('reads the ids a wrangler environment binds, naming a missing binding', () => {
    const section = {
      hyperdrive: [
        { binding: 'HYPERDRIVE', id: 'x' },
        { binding: 'LEGACY_HYPERDRIVE', id: 'y' },
      ],
    };
    expect(hyperdriveIdsOf(section, 'wrangler.toml')).toEqual({ HYPERDRIVE: 'x', LEGACY_HYPERDRIVE: 'y' });
    expect(() => hyperdriveIdsOf({ hyperdrive: [{ binding: 'HYPERDRIVE', id: 'x' }] }, 'wrangler.toml')).toThrow(
      'wrangler.toml: no Hyperdrive binding LEGACY_HYPERDRIVE',
    );
  });
});
