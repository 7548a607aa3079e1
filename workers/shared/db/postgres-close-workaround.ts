/**
 * postgres.js's Workers build (postgres/cf) leaves an unhandled rejection behind when a connection
 * closes (sql.end()): the socket polyfill's read loop in postgres/cf/polyfills.js catches the
 * closed stream ("This socket has been closed.", "Stream was cancelled." in some workerd versions)
 * and re-emits it as an 'error' event on a socket postgres.js has already stripped of listeners,
 * so EventEmitter rethrows it out of the async read() (porsager/postgres#1202). Nothing is lost:
 * the results were delivered and the socket is closed.
 *
 * Handled in two places, with the same predicate, and nowhere else: this listener in deployed
 * Workers, and `onUnhandledError` in vitest.config.ts (vitest counts rejections before any
 * listener of ours can mark them handled). Any other rejection, including every other
 * postgres.js error, stays unhandled and visible.
 */

import { isPostgresCloseArtifact } from './postgres-close-artifact.ts';

const marker = Symbol.for('shopify-dashboard.postgres-close-workaround');
const scope = globalThis as typeof globalThis & { [marker]?: true };

if (!scope[marker] && typeof globalThis.addEventListener === 'function') {
  scope[marker] = true;
  globalThis.addEventListener('unhandledrejection', (event: Event & { reason?: unknown }) => {
    if (isPostgresCloseArtifact(event.reason)) event.preventDefault();
  });
}
