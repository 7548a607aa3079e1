/**
 * The Shopify simulator the test harness starts once (test/global-setup.ts) and the Workers test
 * projects' bindings point at (vitest.config.ts). Plain constants so Node tests, the vitest config
 * and Workers tests (inside workerd) can all import them.
 *
 * Workers tests replace the simulator's store or faults through its control API, e.g.
 *   await fetch(`${inject('shopifySimulatorUrl')}/__simulator/store`, { method: 'POST', body: JSON.stringify({ generate: {…} }) })
 * Both Workers projects share this one simulator, so a test that changes it resets it afterwards
 * (POST /__simulator/reset).
 */
import { SHOPIFY_API_VERSION } from '../../workers/shared/shopify/client.ts';

export const TEST_SHOPIFY = {
  /** The store the simulator starts with (tests load their own). */
  initialStore: { seed: 1, products: 5, orders: 20, startDate: '2026-10-01', days: 7 },
  shopDomain: 'generated-store-1.myshopify.com',
  accessToken: 'shpat_test_simulator_token',
  webhookSecret: 'test-webhook-secret',
  webhookSecretPrevious: 'test-webhook-secret-previous',
} as const;

export function simulatorAdminApiUrl(simulatorUrl: string): string {
  return `${simulatorUrl}/admin/api/${SHOPIFY_API_VERSION}/graphql.json`;
}
