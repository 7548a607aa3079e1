/**
 * The Shopify simulator: a local HTTP server that answers the Admin GraphQL subset the ingest
 * uses (schema.graphql), serves bulk operation results from a store, signs and sends webhooks,
 * and fails on request (fault knobs) the ways Shopify does. Used by tests, `npm start`, the demo
 * and the benchmarks; the only stand-in for Shopify in this project.
 *
 *   POST /admin/api/{version}/graphql.json     the Admin GraphQL API (X-Shopify-Access-Token)
 *   GET  /__simulator/downloads/{n}.jsonl      a bulk operation's result (…-partial.jsonl: partial data); honours Range: bytes=a-[b]
 *   POST /__simulator/store                    {fixtureDir} | {generate: StoreOptions} | {store: GeneratedStore}
 *   POST /__simulator/faults                   merge fault knobs (see SimulatorFaults); GET returns them
 *   POST /__simulator/config                   {webhookUrl, webhookSecret, bucket, timing, maxConcurrentOperations}
 *   POST /__simulator/reset                    clear faults, operations, logs, the cost bucket and config changes (keeps the store)
 *   GET  /__simulator/requests                 the request log; GET /__simulator/operations; GET /__simulator/webhooks
 *   GET  /__simulator/totals                   Σ requested and actual query cost, THROTTLED and MAX_COST_EXCEEDED counts
 *   POST /__simulator/webhooks/trigger         {topic, id? | payload?, webhookId?, signWith?, times?}
 *
 * This file creates the server and routes; the work is done around one SimulatorState (state.ts)
 * by graphql.ts (the Admin API and its cost), bulk-operations.ts (lifecycle, finish webhooks),
 * downloads.ts (result URLs) and control.ts (the /__simulator API).
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SHOPIFY_API_VERSION } from '../../workers/shared/shopify/client.ts';
import { handleControl, operationViews, triggerWebhook } from './control.ts';
import { handleDownload } from './downloads.ts';
import { createGraphQLEndpoint } from './graphql.ts';
import { sendJson } from './http.ts';
import {
  applyConfig,
  type ConfigPatch,
  type CostTotals,
  clearTimers,
  costTotals,
  createState,
  type FaultsPatch,
  type RequestLogEntry,
  resetState,
  type SimulatorConfig,
  type SimulatorFaults,
  type SimulatorOperationView,
  type SimulatorOptions,
  type StoreInput,
  setFaults,
  setStore,
  type TriggerWebhookRequest,
} from './state.ts';
import type { WebhookDelivery } from './webhooks.ts';

export { MAX_QUERY_COST } from './graphql.ts';
export { SIMULATOR_SCHEMA, SIMULATOR_SCHEMA_SDL } from './schema.ts';
export {
  type BulkOperationFailureCode,
  type ConfigPatch,
  type CostTotals,
  DEFAULT_ACCESS_TOKEN,
  DEFAULT_WEBHOOK_SECRET,
  type FaultsPatch,
  type RequestLogEntry,
  type SimulatorConfig,
  type SimulatorFaults,
  type SimulatorOperationView,
  type SimulatorOptions,
  type StoreInput,
  type TriggerWebhookRequest,
} from './state.ts';

export interface ShopifySimulator {
  /** http://127.0.0.1:port */
  readonly url: string;
  readonly adminApiUrl: string;
  readonly shopDomain: string;
  readonly accessToken: string;
  readonly webhookSecret: string;
  setStore(store: StoreInput): Promise<void>;
  setFaults(faults: FaultsPatch): SimulatorFaults;
  configure(config: ConfigPatch): SimulatorConfig;
  reset(): void;
  requests(): RequestLogEntry[];
  /** What the cost bucket saw since the start (or the last reset): Σ requested and actual cost, refusals. */
  totals(): CostTotals;
  operations(): SimulatorOperationView[];
  webhookDeliveries(): WebhookDelivery[];
  triggerWebhook(request: TriggerWebhookRequest): Promise<WebhookDelivery[]>;
  close(): Promise<void>;
}

export async function startShopifySimulator(options: SimulatorOptions = {}): Promise<ShopifySimulator> {
  const state = createState(options);
  if (options.fixtureDir) await setStore(state, { fixtureDir: options.fixtureDir });
  else if (options.generate) await setStore(state, { generate: options.generate });
  else if (options.store) await setStore(state, options.store);
  const handleGraphQL = createGraphQLEndpoint(state);

  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://simulator');
    const path = url.pathname;
    const handle = async () => {
      if (request.method === 'POST' && /^\/admin\/api\/[\w-]+\/graphql\.json$/.test(path)) {
        await state.firing.run(new Set(), () => handleGraphQL(request, response, path));
      } else if (request.method === 'GET' && path.startsWith('/__simulator/downloads/')) {
        await handleDownload(
          state,
          response,
          path,
          path.slice('/__simulator/downloads/'.length),
          request.headers.range,
        );
      } else if (path.startsWith('/__simulator/')) {
        await handleControl(state, request, response, path);
      } else if (path === '/' || path === '/health') {
        sendJson(response, 200, {
          simulator: 'shopify',
          shop: state.store.shop.myshopifyDomain,
          adminApiUrl: `${state.baseUrl}/admin/api/${SHOPIFY_API_VERSION}/graphql.json`,
        });
      } else {
        sendJson(response, 404, { errors: 'Not Found' });
      }
    };
    handle().catch((error: unknown) => {
      if (!response.headersSent)
        sendJson(response, 500, { errors: error instanceof Error ? error.message : String(error) });
      else response.destroy();
    });
  });
  server.listen(options.port ?? 0, options.host ?? '127.0.0.1');
  await once(server, 'listening');
  const address = server.address() as AddressInfo;
  state.baseUrl = `http://${address.address}:${address.port}`;

  return {
    url: state.baseUrl,
    adminApiUrl: `${state.baseUrl}/admin/api/${SHOPIFY_API_VERSION}/graphql.json`,
    get shopDomain() {
      return state.store.shop.myshopifyDomain;
    },
    accessToken: state.accessToken,
    get webhookSecret() {
      return state.config.webhookSecret;
    },
    setStore: (input) => setStore(state, input),
    setFaults: (patch) => setFaults(state, patch),
    configure: (patch) => applyConfig(state, patch),
    reset: () => resetState(state),
    requests: () => [...state.log],
    totals: () => costTotals(state),
    operations: () => operationViews(state),
    webhookDeliveries: () => [...state.deliveries],
    triggerWebhook: (request) => triggerWebhook(state, request),
    async close() {
      clearTimers(state);
      server.closeAllConnections();
      server.close();
      await once(server, 'close').catch(() => undefined);
    },
  };
}
