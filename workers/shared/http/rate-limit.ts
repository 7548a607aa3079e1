/**
 * Rate limits with the Workers Rate Limiting binding ([[ratelimits]] in the wrangler configs):
 * writes and triggers per identity (WRITE_RATE_LIMITER), Shopify webhooks per shop
 * (WEBHOOK_RATE_LIMITER). Over the limit: 429 with the error envelope and Retry-After.
 *
 * The binding counts per Cloudflare location and is eventually consistent: a brake on runaway
 * clients and loops, not an exact quota. Without the binding (a script, an old config) nothing is
 * limited.
 */
import type { MiddlewareHandler } from 'hono';
import type { AccessBindings } from '../access/middleware.ts';
import { log } from '../logging.ts';

/** The `simple.period` of every [[ratelimits]] binding: the longest a caller waits for a new window. */
export const RATE_LIMIT_PERIOD_SECONDS = 60;

export class RateLimitedError extends Error {
  override name = 'RateLimitedError';
  readonly retryAfterSeconds = RATE_LIMIT_PERIOD_SECONDS;
}

/** Counts one request for `key`, or throws RateLimitedError when the key is over its limit. */
export async function admit(limiter: RateLimit | undefined, key: string, what: string): Promise<void> {
  if (!limiter) return;
  const { success } = await limiter.limit({ key });
  if (!success) {
    log.warn('rate limited', { key, what });
    throw new RateLimitedError(`too many ${what}; try again in ${RATE_LIMIT_PERIOD_SECONDS} s`);
  }
}

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Writes and triggers, per identity; needs `authenticate()` before it. Reads are not limited. */
export function rateLimitWrites(): MiddlewareHandler<AccessBindings> {
  return async (c, next) => {
    const identity = c.var.identity;
    if (identity && !READS.has(c.req.method)) {
      const key = identity.kind === 'person' ? `person:${identity.personId}` : `service-token:${identity.commonName}`;
      await admit(c.env.WRITE_RATE_LIMITER, key, 'writes from you');
    }
    await next();
  };
}
