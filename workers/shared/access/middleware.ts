/**
 * Hono middleware for Cloudflare Access: `accessConfiguration()` refuses to serve with a bad or
 * unsafe configuration (503), `authenticate()` verifies `Cf-Access-Jwt-Assertion` (401) and puts
 * the caller on `c.var.identity` (403 when unknown), `requireRole()` enforces the role order.
 */
import type { MiddlewareHandler } from 'hono';
import type { RoleName } from '#db/schema.ts';
import type { Env } from '../env.ts';
import { ApiError } from '../http/errors.ts';
import type { AppVariables } from '../http/middleware.ts';
import { log } from '../logging.ts';
import type { AccessConfig } from './config.ts';
import { type Identity, resolveIdentity } from './identity.ts';
import { hasRole } from './roles.ts';
import { verifyAccessToken } from './verify.ts';

export const ACCESS_TOKEN_HEADER = 'Cf-Access-Jwt-Assertion';

export interface AccessVariables extends AppVariables {
  accessConfig: AccessConfig;
  identity: Identity;
}

export interface AccessBindings {
  Bindings: Env;
  Variables: AccessVariables;
}

/** The Worker's configuration (workers/<worker>/src/config.ts), which has an Access section. */
export interface AccessSectionReader {
  read(env: object, name: 'access'): AccessConfig;
}

/** Puts the Access configuration on the context, or refuses (503 naming every problem). */
export function accessConfiguration(config: AccessSectionReader): MiddlewareHandler<AccessBindings> {
  return async (c, next) => {
    c.set('accessConfig', config.read(c.env, 'access'));
    await next();
  };
}

/** Needs `accessConfiguration()` and the per-request database before it. */
export function authenticate(): MiddlewareHandler<AccessBindings> {
  return async (c, next) => {
    const token = c.req.header(ACCESS_TOKEN_HEADER)?.trim();
    if (!token)
      throw new ApiError(401, `the ${ACCESS_TOKEN_HEADER} header is missing: sign in through Cloudflare Access`);
    const config = c.var.accessConfig;
    const claims = await verifyAccessToken(token, config);
    const identity = await resolveIdentity(c.var.database, claims, config);
    c.set('identity', identity);
    await next();
  };
}

export function requireRole(minimum: RoleName): MiddlewareHandler<AccessBindings> {
  return async (c, next) => {
    const identity = c.var.identity;
    if (!identity) throw new ApiError(401, 'not authenticated');
    if (!hasRole(identity.role, minimum)) {
      log.info('role check refused', { request_id: c.var.requestId, role: identity.role, required: minimum });
      throw new ApiError(403, `this needs the ${minimum} role; you have ${identity.role}`);
    }
    await next();
  };
}
