/**
 * Bulk operations: their lifecycle (CREATED → RUNNING → COMPLETED/FAILED/CANCELED/EXPIRED on the
 * simulator's clock, shaped by the fault knobs), their result lines, the run and cancel mutations,
 * and the bulk_operations/finish webhook sent when one ends.
 */
import { stat } from 'node:fs/promises';
import { SHOPIFY_API_VERSION } from '../../workers/shared/shopify/client.ts';
import { analyzeBulkQuery, type BulkQueryPlan, type BulkUserError } from './bulk-query-rules.ts';
import { parseJson } from './http.ts';
import { SIMULATOR_SCHEMA } from './schema.ts';
import { camelCaseAccessor, searchPredicate } from './search-query.ts';
import {
  fired,
  type Result,
  type SimOperation,
  type SimulatorState,
  type Stats,
  schedule,
  type TriggerWebhookRequest,
} from './state.ts';
import type { StoreSource } from './store-source.ts';
import { sendWebhook, type WebhookDelivery } from './webhooks.ts';

export const RESOURCE_OF_ROOT: Record<string, 'products' | 'orders' | undefined> = {
  products: 'products',
  orders: 'orders',
};

function timestamp(ms: number): string {
  return `${new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19)}Z`;
}

export const PARENT_ID = /"__parentId":"((?:[^"\\]|\\.)*)"/;

/** A JSON string body as its value (undoes `\/` and other escapes). */
const unescapeJsonString = (body: string): string => (body.includes('\\') ? JSON.parse(`"${body}"`) : body);

/** The `__parentId` of a child line, without parsing the whole line (a file can hold millions). */
function parentIdOf(line: string): string | undefined {
  const match = PARENT_ID.exec(line);
  return match?.[1] === undefined ? undefined : unescapeJsonString(match[1]);
}

/**
 * The top-level objects a filtered bulk query selects (children may come before their parents, so
 * this is a pass of its own); undefined when the query has no filter (everything is selected).
 */
async function selectRoots(source: StoreSource, plan: BulkQueryPlan): Promise<Set<string> | undefined> {
  const resource = RESOURCE_OF_ROOT[plan.rootField];
  if (!resource || !plan.search) return undefined;
  const matches = searchPredicate(plan.search);
  const selected = new Set<string>();
  for await (const line of source.lines(resource)) {
    if (PARENT_ID.test(line)) continue;
    const record = parseJson(line);
    if (record && typeof record.id === 'string' && matches(camelCaseAccessor(record))) selected.add(record.id);
  }
  return selected;
}

/** The result lines of a bulk query: the store's lines, or those of the selected roots and their children. */
export async function* resultLines(
  source: StoreSource,
  plan: BulkQueryPlan,
  roots: Set<string> | undefined,
): AsyncGenerator<string> {
  const resource = RESOURCE_OF_ROOT[plan.rootField];
  if (!resource) return;
  if (!roots) {
    yield* source.lines(resource);
    return;
  }
  for await (const line of source.lines(resource)) {
    // A root line is parsed: its own id is not necessarily the first "id" in it (nested objects).
    const owner = parentIdOf(line) ?? parseJson(line)?.id;
    if (typeof owner === 'string' && roots.has(owner)) yield line;
  }
}

async function computeResult(source: StoreSource, plan: BulkQueryPlan): Promise<Result> {
  const roots = await selectRoots(source, plan);
  const stats: Stats = { objectCount: 0, rootObjectCount: 0, fileSize: 0 };
  for await (const line of resultLines(source, plan, roots)) {
    stats.objectCount++;
    if (!PARENT_ID.test(line)) stats.rootObjectCount++;
    stats.fileSize += Buffer.byteLength(line) + 1;
  }
  const resource = RESOURCE_OF_ROOT[plan.rootField];
  const file = resource && !roots ? source.filePath(resource) : undefined;
  if (file) stats.fileSize = (await stat(file)).size;
  return { roots, stats };
}
export function statusOf(state: SimulatorState, op: SimOperation, at = state.now()): string {
  if (op.canceledAtMs !== null) return at < op.canceledAtMs + state.config.timing.cancelMs ? 'CANCELING' : 'CANCELED';
  if (at < op.runningAtMs) return 'CREATED';
  if (at < op.completeAtMs || !op.statsReady) return 'RUNNING';
  if (op.failure) return 'FAILED';
  return state.faults.expireOperations ? 'EXPIRED' : 'COMPLETED';
}

export function bulkOperationView(state: SimulatorState, op: SimOperation) {
  const status = statusOf(state, op);
  if (status === 'FAILED' && op.knobs.includes('failOperation')) fired(state, 'failOperation');
  if (status === 'EXPIRED') fired(state, 'expireOperations');
  if (
    status === 'RUNNING' &&
    op.knobs.includes('slowOperation') &&
    state.now() >= op.runningAtMs + state.config.timing.runningMs
  )
    fired(state, 'slowOperation');
  const stats = op.statsReady;
  const done = status === 'COMPLETED' || status === 'FAILED' || status === 'EXPIRED' || status === 'CANCELED';
  const partial =
    op.failure && op.failure.errorCode !== 'ACCESS_DENIED' && stats
      ? Math.floor(stats.objectCount * op.failure.partialFraction)
      : 0;
  const progress = stats
    ? Math.min(1, Math.max(0, (state.now() - op.runningAtMs) / Math.max(1, op.completeAtMs - op.runningAtMs)))
    : 0;
  return {
    __typename: 'BulkOperation',
    id: op.id,
    status,
    errorCode: status === 'FAILED' ? op.failure?.errorCode : null,
    objectCount: String(
      status === 'COMPLETED' || status === 'EXPIRED'
        ? (stats?.objectCount ?? 0)
        : status === 'FAILED'
          ? partial
          : Math.floor((stats?.objectCount ?? 0) * (status === 'RUNNING' ? progress : 0)),
    ),
    rootObjectCount: String(status === 'COMPLETED' || status === 'EXPIRED' ? (stats?.rootObjectCount ?? 0) : 0),
    fileSize: status === 'COMPLETED' ? String(stats?.fileSize ?? 0) : null,
    url: status === 'COMPLETED' ? `${state.baseUrl}/__simulator/downloads/${op.number}.jsonl` : null,
    partialDataUrl:
      status === 'FAILED' && partial > 0 ? `${state.baseUrl}/__simulator/downloads/${op.number}-partial.jsonl` : null,
    createdAt: timestamp(op.createdAtMs),
    completedAt: done
      ? timestamp(
          op.canceledAtMs !== null
            ? op.canceledAtMs + state.config.timing.cancelMs
            : Math.max(op.completeAtMs, op.createdAtMs),
        )
      : null,
    query: op.query,
    type: 'QUERY',
  };
}

async function notifyFinished(state: SimulatorState, op: SimOperation): Promise<void> {
  if (op.finishNotified || !state.config.webhookUrl) return;
  await op.result.catch(() => undefined);
  const status = statusOf(state, op);
  if (!['COMPLETED', 'FAILED', 'CANCELED', 'EXPIRED'].includes(status)) {
    // Not done yet (stats still computing on a large store): look again shortly.
    schedule(state, state.now() + 50, () => void notifyFinished(state, op));
    return;
  }
  op.finishNotified = true;
  const v = bulkOperationView(state, op);
  await deliver(state, {
    topic: 'bulk_operations/finish',
    payload: {
      admin_graphql_api_id: op.id,
      completed_at: v.completedAt,
      created_at: v.createdAt,
      error_code: v.errorCode ? String(v.errorCode).toLowerCase() : null,
      status: status.toLowerCase(),
      type: 'query',
    },
  });
}

function createOperation(state: SimulatorState, query: string, plan: BulkQueryPlan): SimOperation {
  const createdAtMs = state.now();
  const runningAtMs = createdAtMs + state.config.timing.createdMs;
  let runningMs = state.config.timing.runningMs;
  const knobs: SimOperation['knobs'] = [];
  if (state.faults.slowOperation.times > 0) {
    state.faults.slowOperation.times--;
    runningMs = state.faults.slowOperation.runningMs;
    knobs.push('slowOperation');
  }
  let failure: SimOperation['failure'] = null;
  if (state.faults.failOperation.times > 0) {
    state.faults.failOperation.times--;
    failure = {
      errorCode: state.faults.failOperation.errorCode,
      partialFraction: state.faults.failOperation.partialFraction,
    };
    knobs.push('failOperation');
  }
  state.operationCounter++;
  const number = 4_412_000_000 + state.operationCounter;
  const source = state.store;
  const op: SimOperation = {
    number,
    id: `gid://shopify/BulkOperation/${number}`,
    query,
    plan,
    source,
    createdAtMs,
    runningAtMs,
    completeAtMs: runningAtMs + runningMs,
    canceledAtMs: null,
    failure,
    knobs,
    result: computeResult(source, plan),
    statsReady: null,
    finishNotified: false,
  };
  op.result.then(
    ({ stats }) => {
      op.statsReady = stats;
    },
    () => {
      op.failure = { errorCode: 'INTERNAL_SERVER_ERROR', partialFraction: 0 };
      op.statsReady = { objectCount: 0, rootObjectCount: 0, fileSize: 0 };
    },
  );
  state.operations.push(op);
  schedule(state, op.completeAtMs, () => void notifyFinished(state, op));
  return op;
}

function active(state: SimulatorState): SimOperation[] {
  return state.operations.filter((op) => ['CREATED', 'RUNNING', 'CANCELING'].includes(statusOf(state, op)));
}

export function runBulkQuery(state: SimulatorState, query: string) {
  const fail = (userErrors: BulkUserError[]) => ({ bulkOperation: null, userErrors });
  const analysis = analyzeBulkQuery(SIMULATOR_SCHEMA, query);
  if ('userErrors' in analysis) return fail(analysis.userErrors);
  if (state.faults.limitReached > 0) {
    state.faults.limitReached--;
    fired(state, 'limitReached');
    return fail([
      { field: null, message: 'Bulk operations limit reached. Please try again later.', code: 'LIMIT_REACHED' },
    ]);
  }
  if (state.faults.operationInProgress > 0) {
    state.faults.operationInProgress--;
    fired(state, 'operationInProgress');
    const started = createOperation(state, query, analysis.plan);
    return fail([
      {
        field: null,
        message: `A bulk query operation for this app and shop is already in progress: ${started.id}.`,
        code: 'OPERATION_IN_PROGRESS',
      },
    ]);
  }
  const running = active(state);
  if (running.length >= state.config.maxConcurrentOperations) {
    if (state.config.maxConcurrentOperations === 1 && running[0]) {
      return fail([
        {
          field: null,
          message: `A bulk query operation for this app and shop is already in progress: ${running[0].id}.`,
          code: 'OPERATION_IN_PROGRESS',
        },
      ]);
    }
    return fail([
      { field: null, message: 'Bulk operations limit reached. Please try again later.', code: 'LIMIT_REACHED' },
    ]);
  }
  return { bulkOperation: bulkOperationView(state, createOperation(state, query, analysis.plan)), userErrors: [] };
}

export function cancelBulkOperation(state: SimulatorState, id: string) {
  const op = state.operations.find((candidate) => candidate.id === id);
  if (!op) return { bulkOperation: null, userErrors: [{ field: ['id'], message: 'Bulk operation does not exist' }] };
  const status = statusOf(state, op);
  if (status !== 'CREATED' && status !== 'RUNNING') {
    return {
      bulkOperation: bulkOperationView(state, op),
      userErrors: [{ field: null, message: `A bulk operation cannot be canceled when it is ${status.toLowerCase()}` }],
    };
  }
  op.canceledAtMs = state.now();
  schedule(state, op.canceledAtMs + state.config.timing.cancelMs, () => void notifyFinished(state, op));
  return { bulkOperation: bulkOperationView(state, op), userErrors: [] };
}

export async function deliver(
  state: SimulatorState,
  request: TriggerWebhookRequest & { payload: unknown },
): Promise<WebhookDelivery[]> {
  if (!state.config.webhookUrl)
    throw new Error('no webhook URL configured (POST /__simulator/config {"webhookUrl": …})');
  const results: WebhookDelivery[] = [];
  let webhookId = request.webhookId;
  for (let i = 0; i < Math.max(1, request.times ?? 1); i++) {
    const delivery = await sendWebhook({
      url: state.config.webhookUrl,
      secret: state.config.webhookSecret,
      topic: request.topic,
      shopDomain: state.store.shop.myshopifyDomain,
      apiVersion: SHOPIFY_API_VERSION,
      payload: request.payload,
      webhookId,
      signWith: request.signWith,
    });
    webhookId = delivery.webhookId;
    results.push(delivery);
    state.deliveries.push(delivery);
  }
  if (state.deliveries.length > 1000) state.deliveries = state.deliveries.slice(-500);
  return results;
}
