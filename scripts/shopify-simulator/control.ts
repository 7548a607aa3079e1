/**
 * The /__simulator control API: load a store, set fault knobs and config, reset, read the request
 * log, operations, cost totals and webhook deliveries, and trigger webhooks.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { bulkOperationView, deliver, statusOf } from './bulk-operations.ts';
import { parseJson, readBody, sendJson } from './http.ts';
import {
  applyConfig,
  type ConfigPatch,
  costTotals,
  type FaultsPatch,
  resetState,
  type SimulatorOperationView,
  type SimulatorState,
  type StoreInput,
  setFaults,
  setStore,
  type TriggerWebhookRequest,
} from './state.ts';
import type { WebhookDelivery } from './webhooks.ts';

/** Sends a webhook with the given payload, or one the store or an operation describes. */
export async function triggerWebhook(
  state: SimulatorState,
  request: TriggerWebhookRequest,
): Promise<WebhookDelivery[]> {
  if (request.payload !== undefined) return deliver(state, { ...request, payload: request.payload });
  const numeric = request.id === undefined ? undefined : String(request.id).split('/').pop();
  if (!numeric) throw new Error(`webhook ${request.topic} needs an id or a payload`);
  let payload: unknown;
  switch (request.topic) {
    case 'products/update': {
      const product = await state.store.legacyProduct(numeric);
      if (!product) throw new Error(`no product ${numeric} with a REST shape in the store`);
      payload = { ...product, admin_graphql_api_id: `gid://shopify/Product/${numeric}` };
      break;
    }
    case 'products/delete':
      payload = { id: Number(numeric) };
      break;
    case 'orders/updated': {
      const order = await state.store.legacyOrder(numeric);
      if (!order) throw new Error(`no order ${numeric} with a REST shape in the store`);
      payload = { ...order, admin_graphql_api_id: `gid://shopify/Order/${numeric}` };
      break;
    }
    case 'bulk_operations/finish': {
      const op = state.operations.find((candidate) => candidate.number === Number(numeric));
      if (!op) throw new Error(`no bulk operation ${numeric}`);
      const v = bulkOperationView(state, op);
      payload = {
        admin_graphql_api_id: op.id,
        completed_at: v.completedAt,
        created_at: v.createdAt,
        error_code: v.errorCode ? String(v.errorCode).toLowerCase() : null,
        status: v.status.toLowerCase(),
        type: 'query',
      };
      break;
    }
    default:
      throw new Error(`unknown webhook topic ${request.topic}`);
  }
  return deliver(state, { ...request, payload });
}

export function operationViews(state: SimulatorState): SimulatorOperationView[] {
  return state.operations.map((op) => ({
    id: op.id,
    status: statusOf(state, op),
    query: op.query,
    rootField: op.plan.rootField,
    search: op.plan.search,
    failure: op.failure?.errorCode ?? null,
  }));
}

export async function handleControl(
  state: SimulatorState,
  request: IncomingMessage,
  response: ServerResponse,
  path: string,
): Promise<void> {
  const action = path.slice('/__simulator/'.length);
  const input = request.method === 'POST' ? (parseJson((await readBody(request)) || '{}') ?? {}) : {};
  try {
    let result: unknown;
    if (action === 'store' && request.method === 'POST') {
      await setStore(state, (input.store ?? input) as StoreInput);
      result = { shop: state.store.shop, description: state.store.description };
    } else if (action === 'store') {
      result = { shop: state.store.shop, description: state.store.description };
    } else if (action === 'faults') {
      if (request.method === 'POST') setFaults(state, input as FaultsPatch);
      result = state.faults;
    } else if (action === 'config') {
      if (request.method === 'POST') applyConfig(state, input as ConfigPatch);
      result = state.config;
    } else if (action === 'reset' && request.method === 'POST') {
      resetState(state);
      result = { reset: true };
    } else if (action === 'totals') {
      result = costTotals(state);
    } else if (action === 'requests') {
      result = state.log;
    } else if (action === 'operations') {
      result = operationViews(state);
    } else if (action === 'webhooks') {
      result = state.deliveries;
    } else if (action === 'webhooks/trigger' && request.method === 'POST') {
      result = await triggerWebhook(state, input as unknown as TriggerWebhookRequest);
    } else {
      sendJson(response, 404, { error: `unknown simulator control ${request.method} ${path}` });
      return;
    }
    sendJson(response, 200, result);
  } catch (error) {
    sendJson(response, 400, { error: error instanceof Error ? error.message : String(error) });
  }
}
