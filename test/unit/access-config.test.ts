/**
 * The Access configuration check: the local signer can never be enabled in staging or production,
 * and the development vars in wrangler.toml agree with the local signer.
 */
import { describe, expect, it } from 'vitest';
import { experimental_readRawConfig } from 'wrangler';
import {
  CERTS_PATH,
  LOCAL_ACCESS_AUD,
  LOCAL_ACCESS_PORT,
  LOCAL_ACCESS_TEAM_DOMAIN,
} from '../../scripts/dev/local-access-signer.ts';
import { PROJECT_ROOT } from '../../scripts/lib/migrations.ts';
import { type AccessConfig, parseAccessConfig } from '../../workers/shared/access/config.ts';

const TEAM = 'https://acme.cloudflareaccess.com';
const AUD = '4714c1358e65fe4b408ad6d432a5f878f08194bdb4752441fd56faefa9b2b6f2';
const LOCAL_JWKS = `http://127.0.0.1:${LOCAL_ACCESS_PORT}${CERTS_PATH}`;

function readAccessConfig(env: Record<string, unknown>): AccessConfig {
  const result = parseAccessConfig(env);
  if (!result.ok) throw new Error(`expected a valid configuration: ${result.problems.join('; ')}`);
  return result.config;
}

function configError(env: Record<string, unknown>): string {
  const result = parseAccessConfig(env);
  if (result.ok) throw new Error('expected the configuration to be refused');
  return result.problems.join('\n');
}

describe('parseAccessConfig', () => {
  it('verifies against the team certs in a deployed environment', () => {
    expect(
      readAccessConfig({
        ENVIRONMENT: 'production',
        ACCESS_TEAM_DOMAIN: TEAM,
        ACCESS_AUD: AUD,
        ACCESS_SERVICE_TOKEN_ROLES: '{"deploy-bot.access":"staff"}',
      }),
    ).toEqual({
      issuer: TEAM,
      audience: AUD,
      certsUrl: `${TEAM}/cdn-cgi/access/certs`,
      serviceTokenRoles: { 'deploy-bot.access': 'staff' },
      usesLocalSigner: false,
    });
  });

  it.each(['production', 'staging'])('refuses the local signer when ENVIRONMENT is %s', (environment) => {
    const message = configError({
      ENVIRONMENT: environment,
      ACCESS_TEAM_DOMAIN: TEAM,
      ACCESS_AUD: AUD,
      ACCESS_JWKS_URL: LOCAL_JWKS,
    });
    expect(message).toContain(
      `variable ACCESS_JWKS_URL: the local Access signer is for development and tests only and is refused when ENVIRONMENT is ${environment}`,
    );
  });

  it.each(['development', 'test'])('accepts the local signer on a loopback address in %s', (environment) => {
    const config = readAccessConfig({
      ENVIRONMENT: environment,
      ACCESS_TEAM_DOMAIN: LOCAL_ACCESS_TEAM_DOMAIN,
      ACCESS_AUD: LOCAL_ACCESS_AUD,
      ACCESS_JWKS_URL: LOCAL_JWKS,
    });
    expect(config).toMatchObject({ certsUrl: LOCAL_JWKS, usesLocalSigner: true, serviceTokenRoles: {} });
  });

  it('refuses a signer anywhere but on a loopback address, even in development', () => {
    for (const url of [
      'https://keys.example.com/certs',
      'http://10.0.0.5:8788/certs',
      'http://127.0.0.1.nip.io/certs',
    ]) {
      expect(
        configError({ ENVIRONMENT: 'development', ACCESS_TEAM_DOMAIN: TEAM, ACCESS_AUD: AUD, ACCESS_JWKS_URL: url }),
      ).toContain('loopback');
    }
  });

  it('names every missing or malformed variable', () => {
    const message = configError({ ENVIRONMENT: 'production', ACCESS_TEAM_DOMAIN: 'https://evil.example.com' });
    expect(message).toContain('variable ACCESS_TEAM_DOMAIN: must look like https://<team>.cloudflareaccess.com');
    expect(message).toContain("variable ACCESS_AUD: is required: the Access application's audience (AUD) tag");
    expect(
      configError({ ENVIRONMENT: 'staging', ACCESS_TEAM_DOMAIN: TEAM, ACCESS_AUD: 'REPLACE_WITH_STAGING_ACCESS_AUD' }),
    ).toContain('variable ACCESS_AUD: is still a placeholder');
  });

  it('reads service token roles as JSON text or an object, and refuses unknown roles', () => {
    const base = { ENVIRONMENT: 'production', ACCESS_TEAM_DOMAIN: TEAM, ACCESS_AUD: AUD };
    expect(
      readAccessConfig({ ...base, ACCESS_SERVICE_TOKEN_ROLES: { 'a.access': 'viewer' } }).serviceTokenRoles,
    ).toEqual({ 'a.access': 'viewer' });
    expect(configError({ ...base, ACCESS_SERVICE_TOKEN_ROLES: '{"a.access":"owner"}' })).toContain(
      'ACCESS_SERVICE_TOKEN_ROLES: must map service token client ids to one of',
    );
    expect(configError({ ...base, ACCESS_SERVICE_TOKEN_ROLES: 'not json' })).toContain('must be a JSON object');
  });
});

describe('wrangler.toml', () => {
  it('points development at the local signer and leaves it out of staging and production', () => {
    type Vars = Record<string, unknown>;
    const { rawConfig } = experimental_readRawConfig({ config: `${PROJECT_ROOT}wrangler.toml` });
    const { vars: development = {}, env = {} } = rawConfig as { vars?: Vars; env?: Record<string, { vars?: Vars }> };
    expect(development).toMatchObject({
      ACCESS_TEAM_DOMAIN: LOCAL_ACCESS_TEAM_DOMAIN,
      ACCESS_AUD: LOCAL_ACCESS_AUD,
      ACCESS_JWKS_URL: LOCAL_JWKS,
    });
    expect(readAccessConfig(development).usesLocalSigner).toBe(true);
    expect(Object.keys(env).sort()).toEqual(['production', 'staging']);
    for (const [name, { vars = {} }] of Object.entries(env)) {
      expect(vars, name).not.toHaveProperty('ACCESS_JWKS_URL');
      expect(vars, name).toHaveProperty('ACCESS_TEAM_DOMAIN');
      expect(vars, name).toHaveProperty('ACCESS_AUD');
    }
  });
});
