/**
 * `npm test` runs three projects against one real Postgres (embedded unless DATABASE_URL is set):
 * - unit:            Node tests (schema drift, names map, squawk, CLIs, generators, simulator)
 * - dashboard-api:   Workers tests inside workerd via @cloudflare/vitest-plugin, top-level wrangler.toml
 * - ingest:          Workers tests inside workerd, workers/ingest/wrangler.toml
 * Hyperdrive bindings go through the query cache emulation (scripts/lib/hyperdrive-cache.ts) to the
 * real test Postgres; the tests' own SQL uses TEST_DIRECT_* bindings straight to it. R2 and Queues
 * are miniflare's own.
 */
import { cloudflareTest } from '@cloudflare/vitest-plugin';
import { defineConfig, defineProject } from 'vitest/config';
import { withDatabase } from './scripts/lib/postgres-url.ts';
import { simulatorAdminApiUrl, TEST_SHOPIFY } from './test/support/shopify-simulator.ts';
import { WORKER_PROJECT_DATABASES, type WorkerProject } from './test/support/test-databases.ts';
import { isPostgresCloseArtifact } from './workers/shared/db/postgres-close-artifact.ts';

function workersProject(name: WorkerProject, configPath: string, extraMiniflare: Record<string, unknown> = {}) {
  const databases = WORKER_PROJECT_DATABASES[name];
  return defineProject({
    plugins: [
      cloudflareTest(({ inject }) => {
        const adminUrl = inject('postgresAdminUrl');
        const hyperdriveUrl = inject('hyperdriveUrl');
        return {
          wrangler: { configPath },
          miniflare: {
            bindings: {
              ENVIRONMENT: 'test',
              // Shopify is the simulator the global setup started (the only stand-in besides Access).
              SHOPIFY_SHOP_DOMAIN: TEST_SHOPIFY.shopDomain,
              SHOPIFY_ADMIN_API_URL: simulatorAdminApiUrl(inject('shopifySimulatorUrl')),
              SHOPIFY_ACCESS_TOKEN: TEST_SHOPIFY.accessToken,
              SHOPIFY_WEBHOOK_SECRET: TEST_SHOPIFY.webhookSecret,
              SHOPIFY_WEBHOOK_SECRET_PREVIOUS: TEST_SHOPIFY.webhookSecretPrevious,
              // A message given back after a dropped connection comes again within a second, so
              // the fault tests see every delivery, up to the dead-letter queue (consumer.ts).
              INGEST_RETRY_DELAY_CAP_SECONDS: '1',
              // fast-check runs per property (test/support/fuzz.ts): 200 in CI, `npm run fuzz` more.
              FUZZ_RUNS: process.env.FUZZ_RUNS ?? '',
            },
            hyperdrives: {
              HYPERDRIVE: withDatabase(hyperdriveUrl, databases.app),
              LEGACY_HYPERDRIVE: withDatabase(hyperdriveUrl, databases.legacy),
              // The tests arrange rows and read them back past the cache (test/workers/support/test-sql.ts).
              TEST_DIRECT_HYPERDRIVE: withDatabase(adminUrl, databases.app),
              TEST_DIRECT_LEGACY_HYPERDRIVE: withDatabase(adminUrl, databases.legacy),
            },
            // miniflare's own Rate Limiting simulation: the configured limiters, raised so the other
            // tests never meet them, and a tight one the rate-limit tests swap in (rate-limits.test.ts).
            ratelimits: {
              WRITE_RATE_LIMITER: { namespace_id: '1601', simple: { limit: 100_000, period: 60 } },
              WEBHOOK_RATE_LIMITER: { namespace_id: '1603', simple: { limit: 100_000, period: 60 } },
              TIGHT_RATE_LIMITER: { namespace_id: '9001', simple: { limit: 3, period: 60 } },
            },
            ...extraMiniflare,
          },
        };
      }),
    ],
    test: {
      name,
      include: [`test/workers/${name}/**/*.test.ts`],
      setupFiles: ['test/workers/setup.ts'],
      // The files of one project share its databases (re-cloned per file), so they run in turn.
      fileParallelism: false,
      testTimeout: 60_000,
      hookTimeout: 60_000,
    },
  });
}

export default defineConfig({
  test: {
    globalSetup: ['test/global-setup.ts'],
    // A CI log is a line per file and the failures: a test's console output is shown only if it failed.
    silent: 'passed-only',
    // The reliability suite (RELIABILITY.md, npm run reliability:report): tagged tests, counted
    // from their recorded results (test/support/reliability.ts).
    tags: [
      { name: 'fault', description: 'a fault injected into a real run: nothing lost, nothing duplicated' },
      { name: 'bad-input', description: 'bad input: a clear refusal and no state change' },
      { name: 'fuzz', description: 'fast-check properties: FUZZ_RUNS runs each (200 in CI, npm run fuzz 10 000)' },
    ],
    // postgres.js's Workers build rejects once per closed connection (porsager/postgres#1202);
    // only that exact error is ignored, see workers/shared/db/postgres-close-workaround.ts.
    onUnhandledError: (error) => !isPostgresCloseArtifact(error),
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      workersProject('dashboard-api', './wrangler.toml'),
      // The ingest Worker consumes its dead-letter queue itself (wrangler.toml), as deployed.
      workersProject('ingest', './workers/ingest/wrangler.toml'),
    ],
  },
});
