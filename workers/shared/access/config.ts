/**
 * Cloudflare Access configuration, parsed once per request from the Worker's variables:
 *
 * - ACCESS_TEAM_DOMAIN          `https://<team>.cloudflareaccess.com`: the token issuer; the signing
 *                               keys are at `<team domain>/cdn-cgi/access/certs`.
 * - ACCESS_AUD                  the Access application's audience (AUD) tag.
 * - ACCESS_SERVICE_TOKEN_ROLES  JSON object: service token client id (`common_name`) → role.
 * - ACCESS_JWKS_URL             development and tests only: the local signer's JWKS
 *                               (scripts/dev/access-signer.ts). Refused in staging and production,
 *                               and only a loopback address is accepted at all, so a deployed
 *                               Worker can never trust keys other than the team's.
 */
import { z } from 'zod';
import { ROLE_NAMES, type RoleName } from '#db/schema.ts';
import { configSection } from '../config.ts';

export interface AccessConfig {
  /** The expected `iss` claim. */
  issuer: string;
  /** The expected `aud` claim. */
  audience: string;
  /** Where the signing keys are fetched from. */
  certsUrl: string;
  /** Service token client id (`common_name`) → role. */
  serviceTokenRoles: Readonly<Record<string, RoleName>>;
  /** True when the keys come from the local development signer. */
  usesLocalSigner: boolean;
}

const TEAM_DOMAIN = /^https:\/\/[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.cloudflareaccess\.com$/;
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);
const DEPLOYED_ENVIRONMENTS = new Set(['staging', 'production']);

const serviceTokenRolesSchema = z.record(z.string().min(1), z.enum(ROLE_NAMES));

const accessVarsSchema = z.object({
  ENVIRONMENT: z.string(),
  ACCESS_TEAM_DOMAIN: z
    .string({ message: 'is required: the Access team domain, https://<team>.cloudflareaccess.com' })
    .regex(TEAM_DOMAIN, 'must look like https://<team>.cloudflareaccess.com'),
  ACCESS_AUD: z
    .string({ message: "is required: the Access application's audience (AUD) tag" })
    .min(1, "is required: the Access application's audience (AUD) tag")
    .refine((value) => !value.startsWith('REPLACE_WITH'), 'is still a placeholder: set the application AUD tag'),
  ACCESS_SERVICE_TOKEN_ROLES: z
    .union([z.string(), z.record(z.string(), z.unknown())])
    .optional()
    .transform((value, context) => {
      if (value === undefined || value === '') return {};
      let parsed: unknown = value;
      if (typeof value === 'string') {
        try {
          parsed = JSON.parse(value);
        } catch {
          context.addIssue({ code: 'custom', message: 'must be a JSON object {"<client id>": "<role>"}' });
          return z.NEVER;
        }
      }
      const roles = serviceTokenRolesSchema.safeParse(parsed);
      if (!roles.success) {
        context.addIssue({
          code: 'custom',
          message: `must map service token client ids to one of ${ROLE_NAMES.join(', ')}`,
        });
        return z.NEVER;
      }
      return roles.data;
    }),
  ACCESS_JWKS_URL: z.string().optional(),
});

/**
 * The Access section of a Worker's configuration. The local signer is refused outright in
 * staging and production, and elsewhere accepted only on a loopback address.
 */
export const accessSection = configSection<AccessConfig>(
  'Access',
  accessVarsSchema.transform((vars, context) => {
    const localJwksUrl = vars.ACCESS_JWKS_URL?.trim() ?? '';
    if (localJwksUrl !== '') {
      const problem = DEPLOYED_ENVIRONMENTS.has(vars.ENVIRONMENT)
        ? `the local Access signer is for development and tests only and is refused when ENVIRONMENT is ${vars.ENVIRONMENT}; remove ACCESS_JWKS_URL so tokens are verified against ${vars.ACCESS_TEAM_DOMAIN}/cdn-cgi/access/certs`
        : !isLoopbackHttpUrl(localJwksUrl)
          ? 'the local signer must be served on a loopback address (http://127.0.0.1:<port>/…)'
          : undefined;
      if (problem) {
        context.addIssue({ code: 'custom', path: ['ACCESS_JWKS_URL'], message: problem });
        return z.NEVER;
      }
    }
    return {
      issuer: vars.ACCESS_TEAM_DOMAIN,
      audience: vars.ACCESS_AUD,
      certsUrl: localJwksUrl || `${vars.ACCESS_TEAM_DOMAIN}/cdn-cgi/access/certs`,
      serviceTokenRoles: vars.ACCESS_SERVICE_TOKEN_ROLES,
      usesLocalSigner: localJwksUrl !== '',
    };
  }),
);

function isLoopbackHttpUrl(value: string): boolean {
  const url = URL.canParse(value) ? new URL(value) : undefined;
  return url?.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname);
}

export type AccessConfigResult = { ok: true; config: AccessConfig } | { ok: false; problems: string[] };

/** Reads the Access configuration, or names every problem with it. (No Workers imports: the unit tests run it in Node.) */
export function parseAccessConfig(env: Record<string, unknown>): AccessConfigResult {
  const result = accessSection.check(env);
  return result.ok ? { ok: true, config: result.value } : result;
}
