/**
 * Middleware both Workers' Hono apps share: a request id on every request and log line (plus one
 * `request` line per request, workers/shared/logging.ts), the configuration check, and a
 * per-request database client on `c.var.database`.
 */
import type { MiddlewareHandler } from 'hono';
import { closeDatabase, type Database, openDatabase } from '../db/client.ts';
import type { Env } from '../env.ts';
import { logRequest } from '../logging.ts';

export interface AppVariables {
  requestId: string;
  database: Database;
}

export interface AppBindings {
  Bindings: Env;
  Variables: AppVariables;
}

export function requestId(): MiddlewareHandler<AppBindings> {
  return async (c, next) => {
    const id = c.req.header('cf-ray') ?? crypto.randomUUID();
    c.set('requestId', id);
    await logRequest(c, id, next);
    c.header('x-request-id', id);
  };
}

/** The Worker's configuration (workers/<worker>/src/config.ts): its bindings and environment. */
export interface WorkerSectionReader {
  read(env: object, name: 'worker'): unknown;
}

/** Refuses every request (503 naming each problem) while the Worker's own section is invalid. */
export function configurationCheck(config: WorkerSectionReader): MiddlewareHandler<AppBindings> {
  return async (c, next) => {
    config.read(c.env, 'worker');
    await next();
  };
}

/**
 * A postgres.js client per request (it connects on its first query, so routes that never touch
 * the database pay nothing), closed after the response with waitUntil.
 */
export function database(): MiddlewareHandler<AppBindings> {
  return async (c, next) => {
    const opened = openDatabase(c.env.HYPERDRIVE);
    c.set('database', opened);
    try {
      await next();
    } finally {
      closeDatabase(opened, c.executionCtx);
    }
  };
}
