/**
 * Structured JSON logs (Workers Logs indexes JSON fields): one object per line with a level, a
 * message and context. Context set with `withLogContext` — the request id for an HTTP request, the
 * ProcedureExecution id for a queue message — is added to every line written inside it, across
 * awaits, so a procedure's own lines carry the ids without passing a logger around.
 * Never log secrets, tokens or query strings.
 */

import { AsyncLocalStorage } from 'node:async_hooks';
import type { Context, Next } from 'hono';

type Level = 'debug' | 'info' | 'warn' | 'error';
type Fields = Record<string, unknown>;

const logContext = new AsyncLocalStorage<Fields>();

function write(level: Level, message: string, fields: Fields = {}): void {
  const line = JSON.stringify({ level, message, time: new Date().toISOString(), ...logContext.getStore(), ...fields });
  if (level === 'error') console.error(line);
  else if (level === 'warn') console.warn(line);
  else console.log(line);
}

/** Runs `work` with `fields` added to every log line written while it runs (nested contexts add up). */
export function withLogContext<T>(fields: Fields, work: () => T): T {
  return logContext.run({ ...logContext.getStore(), ...fields }, work);
}

/** The id of the HTTP request being served, when there is one (the audit trail records it). */
export function currentRequestId(): string | null {
  const id = logContext.getStore()?.request_id;
  return typeof id === 'string' ? id : null;
}

export const log = {
  debug: (message: string, fields?: Fields) => write('debug', message, fields),
  info: (message: string, fields?: Fields) => write('info', message, fields),
  warn: (message: string, fields?: Fields) => write('warn', message, fields),
  error: (message: string, fields?: Fields) => write('error', message, fields),
  /** A logger that adds the same fields (e.g. procedure_execution_id) to every line. */
  with(bound: Fields) {
    return {
      debug: (message: string, fields?: Fields) => write('debug', message, { ...bound, ...fields }),
      info: (message: string, fields?: Fields) => write('info', message, { ...bound, ...fields }),
      warn: (message: string, fields?: Fields) => write('warn', message, { ...bound, ...fields }),
      error: (message: string, fields?: Fields) => write('error', message, { ...bound, ...fields }),
    };
  },
};

/**
 * Runs the rest of a request (`next`) with its request id on every log line, then writes one
 * `request` line with method, path (never the query string), status and duration. Called by the
 * `requestId()` middleware both Workers' apps start with.
 */
export async function logRequest(c: Context, requestId: string, next: Next): Promise<void> {
  const started = performance.now();
  await withLogContext({ request_id: requestId }, next);
  const status = c.res.status;
  write(status >= 500 ? 'error' : 'info', 'request', {
    request_id: requestId,
    method: c.req.method,
    path: c.req.path,
    status,
    duration_ms: Math.round(performance.now() - started),
  });
}
