/**
 * Rate limits on writes and triggers, per identity, under miniflare's own simulation of the Workers
 * Rate Limiting binding: the tight limiter of vitest.config.ts (3 per 60 s) stands in for
 * WRITE_RATE_LIMITER. Windows are aligned to the clock, so a run that straddles a boundary may
 * admit up to twice the limit before the first 429; the assertions allow for it.
 */
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Sql } from '#shared/db/types.ts';
import type { Env } from '#shared/env.ts';
import { expectRefusedWithoutChange } from '../../support/reliability.ts';
import { type Api, openApiWithStaff, type Role } from './support/api.ts';

const LIMIT = 3;
const tight = { WRITE_RATE_LIMITER: (env as unknown as Record<string, RateLimit>).TIGHT_RATE_LIMITER } as Partial<Env>;

let api: Api;
let sql: Sql;

beforeAll(async () => {
  ({ api, sql } = await openApiWithStaff());
  return () => sql.end({ timeout: 5 });
});

const createTag = (as: Role) =>
  api.request('POST', '/api/tags', { as, env: tight, body: { name: `limited ${crypto.randomUUID()}` } });

describe('writes and triggers are limited per identity', () => {
  it('answers 429 with the envelope and Retry-After past the limit, and the refused write changes nothing', async () => {
    let admitted = 0;
    for (; admitted <= 2 * LIMIT; admitted++) {
      const response = await createTag('staff');
      if (response.status === 429) break;
      expect(response.status).toBe(201);
    }
    expect(admitted).toBeGreaterThanOrEqual(LIMIT);
    expect(admitted).toBeLessThanOrEqual(2 * LIMIT);
    await expectRefusedWithoutChange(
      sql,
      async () => {
        const refused = await createTag('staff');
        expect(refused.status).toBe(429);
        expect(refused.headers.get('retry-after')).toBe('60');
        expect(refused.body).toEqual({
          error: { code: 'rate_limited', message: 'too many writes from you; try again in 60 s' },
        });
        // A trigger is a write too.
        const trigger = await api.request('POST', '/api/sync-runs', {
          as: 'staff',
          env: tight,
          body: { kind: 'marts' },
        });
        expect(trigger.status).toBe(429);
        return [refused, trigger];
      },
      'POST /api/tags and POST /api/sync-runs past the write limit',
    );
    // Reads are not limited, and another identity has its own allowance.
    expect((await api.get('/api/tags', { as: 'staff', env: tight })).status).toBe(200);
    expect((await createTag('admin')).status).toBe(201);
  });

  it('is documented on every write route of the OpenAPI document, and on no read', async () => {
    const document = (await api.get('/openapi.json', { as: null })).body as {
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    };
    for (const [path, operations] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        expect(Boolean(operation.responses['429']), `${method} ${path}`).toBe(method !== 'get');
      }
    }
  });

  it('without the binding nothing is limited', async () => {
    const unbound = { WRITE_RATE_LIMITER: undefined } as Partial<Env>;
    for (let n = 0; n < 2 * LIMIT + 1; n++) {
      const response = await api.request('POST', '/api/tags', {
        as: 'master',
        env: unbound,
        body: { name: `unlimited ${n} ${crypto.randomUUID()}` },
      });
      expect(response.status).toBe(201);
    }
  });
});
