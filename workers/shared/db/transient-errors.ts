/**
 * Errors that say the connection to Postgres (or the server behind it) went away for now, not
 * that the work is wrong: a dropped or terminated connection, a server shutting down, restarting
 * or refusing connections, a serialization failure or deadlock. Work that is idempotent from its
 * last checkpoint (every ProcedureExecution step) is tried again after one of these instead of
 * being recorded as failed.
 */

import { driverError } from './postgres-errors.ts';

/** SQLSTATEs: class 08 connection exceptions, plus these. */
const TRANSIENT_SQLSTATES = new Set([
  '57P01', // admin_shutdown: pg_terminate_backend, or a fast shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now: the server is starting up
  '40001', // serialization_failure
  '40P01', // deadlock_detected
  '53300', // too_many_connections
]);

/** postgres.js's own connection errors, and Node's socket errors. */
const TRANSIENT_CODES = new Set([
  'CONNECTION_CLOSED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
]);

/** What workerd's sockets say when a connection cannot be made or is lost (no code attached). */
const TRANSIENT_SOCKET_MESSAGE =
  /network connection lost|connection (?:refused|reset)|socket (?:hang up|has been closed|closed unexpectedly)|stream was cancelled/i;

export function isTransientDatabaseError(error: unknown): boolean {
  const cause = driverError(error);
  if (typeof cause !== 'object' || cause === null) return false;
  const { code, message } = cause as { code?: unknown; message?: unknown };
  if (typeof code === 'string') {
    if (TRANSIENT_SQLSTATES.has(code) || TRANSIENT_CODES.has(code)) return true;
    if (/^08[0-9A-Z]{3}$/.test(code)) return true;
  }
  return typeof message === 'string' && TRANSIENT_SOCKET_MESSAGE.test(message);
}
