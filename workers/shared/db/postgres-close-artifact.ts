/**
 * Recognises the one rejection postgres.js's Workers build leaves behind when a connection closes
 * (porsager/postgres#1202); see postgres-close-workaround.ts for why and where it is handled.
 */
export function isPostgresCloseArtifact(reason: unknown): boolean {
  if (typeof reason !== 'object' || reason === null) return false;
  const { message, stack } = reason as { message?: unknown; stack?: unknown };
  const knownMessage = message === 'This socket has been closed.' || message === 'Stream was cancelled.';
  // The polyfill's read loop catches the error and re-emits it on the socket, which postgres.js
  // has already stripped of listeners, so EventEmitter rethrows it out of `read`. The frame names
  // the polyfill module when unbundled and the function when bundled.
  const fromPolyfill =
    typeof stack === 'string' && /postgres[\\/]cf[\\/]polyfills\.js|\bat (?:async )?(?:readFirst|read) \(/.test(stack);
  return knownMessage && fromPolyfill;
}
