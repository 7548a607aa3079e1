/**
 * Security review checks that need no Worker (RELIABILITY.md "Security review"):
 * - the deployed environments of both wrangler configs never enable the local Access signer, never
 *   carry a secret as a plain var, and say which environment they are (the Access configuration
 *   check refuses ACCESS_JWKS_URL by that name: access-config.test.ts, access.test.ts);
 * - a deployed Worker answers only on its custom domain, behind Access: each environment turns off
 *   its *.workers.dev URL and its preview URLs, which Access does not guard;
 * - the data migration's key literals (COPY takes no bind parameters) read back exactly, whatever
 *   standard_conforming_strings is.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { experimental_readRawConfig } from 'wrangler';
import { PROJECT_ROOT } from '../../scripts/lib/migrations.ts';
import { literal } from '../../scripts/migrate-legacy/table-sql.ts';
import { createTestDatabase, type TestDatabase } from '../support/node-databases.ts';

const CONFIGS = { 'dashboard-api': 'wrangler.toml', ingest: 'workers/ingest/wrangler.toml' } as const;
/** Set with `wrangler secret put`, never in a config's vars. */
const SECRETS = ['SHOPIFY_ACCESS_TOKEN', 'SHOPIFY_WEBHOOK_SECRET', 'SHOPIFY_WEBHOOK_SECRET_PREVIOUS'];

describe('wrangler configs, staging and production', () => {
  for (const [worker, path] of Object.entries(CONFIGS)) {
    it(`${worker}: no local Access signer, no secret in vars, ENVIRONMENT names the environment`, () => {
      const { rawConfig } = experimental_readRawConfig({ config: `${PROJECT_ROOT}${path}` });
      const environments = (rawConfig as { env?: Record<string, { vars?: Record<string, unknown> }> }).env ?? {};
      expect(Object.keys(environments).sort()).toEqual(['production', 'staging']);
      for (const [name, environment] of Object.entries(environments)) {
        const vars = environment.vars ?? {};
        expect(vars.ENVIRONMENT, `${worker} ${name}`).toBe(name);
        expect(Object.keys(vars), `${worker} ${name}`).not.toContain('ACCESS_JWKS_URL');
        for (const secret of SECRETS) expect(Object.keys(vars), `${worker} ${name}`).not.toContain(secret);
      }
    });

    it(`${worker}: reachable only behind Access, with no workers.dev or preview URL, in every environment`, () => {
      type Surface = { workers_dev?: boolean; preview_urls?: boolean };
      const { rawConfig } = experimental_readRawConfig({ config: `${PROJECT_ROOT}${path}` });
      const { env, ...development } = rawConfig as Surface & { env?: Record<string, Surface> };
      for (const [name, environment] of Object.entries({ development, ...env })) {
        expect(
          { workers_dev: environment.workers_dev, preview_urls: environment.preview_urls },
          `${worker} ${name}`,
        ).toEqual({
          workers_dev: false,
          preview_urls: false,
        });
      }
    });
  }
});

describe('the data migration key literals', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('empty');
  });
  afterAll(() => db.drop());

  it("read back exactly with standard_conforming_strings on or off (quotes, backslashes, '; --)", async () => {
    const values = ["O'Brien", 'back\\slash', "\\'; drop table x; --", '\\\\', "''", 'ünïcödé', 'tab\there'];
    for (const conforming of ['on', 'off']) {
      const reserved = await db.sql.reserve();
      try {
        await reserved.unsafe(`set standard_conforming_strings = ${conforming}`);
        for (const value of values) {
          const [row] = await reserved.unsafe<{ v: string }[]>(`select ${literal(value, 'text')} as v`);
          expect(row?.v, `${value} with standard_conforming_strings ${conforming}`).toBe(value);
        }
      } finally {
        await reserved.unsafe('reset standard_conforming_strings');
        reserved.release();
      }
    }
  });
});
