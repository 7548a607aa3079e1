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
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { once } from 'node:events';
import { createReadStream, readFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  buildSchema,
  type DocumentNode,
  execute,
  GraphQLError,
  Kind,
  type OperationDefinitionNode,
  parse,
} from 'graphql';
import { SHOPIFY_API_VERSION } from '../../workers/shared/shopify/client.ts';
import type { GeneratedStore, StoreOptions } from '../store-generator/generate.ts';
import {
  actualQueryCost,
  analyzeBulkQuery,
  type BulkQueryPlan,
  type BulkUserError,
  checkConnectionArguments,
  requestedQueryCost,
  validateDocument,
} from './query-analysis.ts';
import { camelCaseAccessor, searchPredicate } from './search-query.ts';
import {
  type StoreSource,
  storeFromFixtureDir,
  storeFromGenerated,
  storeFromGeneratorOptions,
} from './store-source.ts';
import { sendWebhook, type WebhookDelivery } from './webhooks.ts';

export const SIMULATOR_SCHEMA_SDL = readFileSync(new URL('./schema.graphql', import.meta.url), 'utf8');
/** The Admin API subset as a graphql-js schema (validation, cost, execution). */
export const SIMULATOR_SCHEMA = buildSchema(SIMULATOR_SCHEMA_SDL);
const schema = SIMULATOR_SCHEMA;

export const DEFAULT_ACCESS_TOKEN = 'shpat_simulator_access_token';
export const DEFAULT_WEBHOOK_SECRET = 'simulator-webhook-secret';
/** Shopify's limit on a single query's requested cost. */
export const MAX_QUERY_COST = 1000;

export type BulkOperationFailureCode = 'ACCESS_DENIED' | 'INTERNAL_SERVER_ERROR' | 'TIMEOUT';

/** Fault knobs. Counters are consumed one per matching event; 0 or absent = off. */
export interface SimulatorFaults {
  /** The next N GraphQL requests are answered THROTTLED (HTTP 200, errors[].extensions.code). */
  throttle: number;
  /** The next N GraphQL requests are answered with this HTTP status (default 503). */
  httpErrors: { times: number; status: number };
  /** The next N GraphQL requests are answered HTTP 429 with Retry-After. */
  rateLimited: { times: number; retryAfterSeconds: number };
  /** The next N bulk operations end FAILED with this errorCode; INTERNAL_SERVER_ERROR and TIMEOUT leave partial data. */
  failOperation: { times: number; errorCode: BulkOperationFailureCode; partialFraction: number };
  /** The next N result downloads are refused with 403 (an expired signed URL). */
  expiredUrl: number;
  /** Completed operations report EXPIRED (url null) and their downloads 403. */
  expireOperations: boolean;
  /** The next N result downloads stop after this fraction of the bytes and drop the connection. */
  truncatedDownload: { times: number; fraction: number };
  /** The next N bulkOperationRunQuery calls start the operation but answer OPERATION_IN_PROGRESS (a lost response). */
  operationInProgress: number;
  /** The next N bulkOperationRunQuery calls answer LIMIT_REACHED. */
  limitReached: number;
  /** The next N bulk operations stay RUNNING this long. */
  slowOperation: { times: number; runningMs: number };
}

export interface SimulatorConfig {
  webhookUrl: string | undefined;
  webhookSecret: string;
  bucket: { maximumAvailable: number; restoreRate: number };
  /** CREATED → RUNNING after createdMs, RUNNING → done after runningMs, CANCELING → CANCELED after cancelMs. */
  timing: { createdMs: number; runningMs: number; cancelMs: number };
  /** Concurrent bulk query operations per shop (5 since API 2026-01; 1 reproduces OPERATION_IN_PROGRESS). */
  maxConcurrentOperations: number;
}

const NO_FAULTS: SimulatorFaults = {
  throttle: 0,
  httpErrors: { times: 0, status: 503 },
  rateLimited: { times: 0, retryAfterSeconds: 1 },
  failOperation: { times: 0, errorCode: 'INTERNAL_SERVER_ERROR', partialFraction: 0.5 },
  expiredUrl: 0,
  expireOperations: false,
  truncatedDownload: { times: 0, fraction: 0.5 },
  operationInProgress: 0,
  limitReached: 0,
  slowOperation: { times: 0, runningMs: 2000 },
};

export type FaultsPatch = {
  [K in keyof SimulatorFaults]?: SimulatorFaults[K] extends object ? Partial<SimulatorFaults[K]> : SimulatorFaults[K];
};
export type ConfigPatch = Partial<Omit<SimulatorConfig, 'bucket' | 'timing'>> & {
  bucket?: Partial<SimulatorConfig['bucket']>;
  timing?: Partial<SimulatorConfig['timing']>;
};

export interface SimulatorOptions {
  /** Default 0: a free port. */
  port?: number;
  host?: string;
  store?: GeneratedStore;
  fixtureDir?: string;
  generate?: StoreOptions;
  webhookUrl?: string;
  webhookSecret?: string;
  accessToken?: string;
  config?: ConfigPatch;
  /** The simulator's clock (bucket refill, operation timing). */
  now?: () => number;
}

export interface RequestLogEntry {
  at: string;
  kind: 'graphql' | 'download' | 'control';
  path: string;
  status: number;
  operationName?: string;
  query?: string;
  variables?: unknown;
  /** ok, throttled, http-503, rate-limited, unauthorized, invalid, expired-url, truncated, … */
  outcome: string;
  /**
   * The fault knobs (SimulatorFaults keys) that shaped this answer, so a test can show its fault
   * fired: e.g. `failOperation` on a poll that reported the operation FAILED, `truncatedDownload`
   * on the cut download. Absent when no knob did.
   */
  faults?: (keyof SimulatorFaults)[];
  requestedQueryCost?: number;
  actualQueryCost?: number;
}

/** Cost totals of the GraphQL queries run (THROTTLED and MAX_COST_EXCEEDED answers cost nothing). */
export interface CostTotals {
  queries: number;
  requestedQueryCost: number;
  actualQueryCost: number;
  throttled: number;
  maxCostExceeded: number;
  bucket: { maximumAvailable: number; restoreRate: number };
}

const noTotals = () => ({ queries: 0, requestedQueryCost: 0, actualQueryCost: 0, throttled: 0, maxCostExceeded: 0 });

export type StoreInput = GeneratedStore | StoreSource | { fixtureDir: string } | { generate: StoreOptions };

export interface SimulatorOperationView {
  id: string;
  status: string;
  query: string;
  rootField: string;
  search: string | undefined;
  failure: BulkOperationFailureCode | null;
}

export interface TriggerWebhookRequest {
  topic: string;
  /** Numeric or gid id of the product/order/bulk operation the payload describes. */
  id?: string | number;
  /** Send this payload instead of looking one up. */
  payload?: unknown;
  webhookId?: string;
  signWith?: string;
  /** Deliver the same webhook (same id) this many times: Shopify retries and duplicates. */
  times?: number;
}

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

// ------------------------------------------------------------------------------------ helpers

interface Stats {
  objectCount: number;
  rootObjectCount: number;
  fileSize: number;
}

interface SimOperation {
  number: number;
  id: string;
  query: string;
  plan: BulkQueryPlan;
  source: StoreSource;
  createdAtMs: number;
  runningAtMs: number;
  completeAtMs: number;
  canceledAtMs: number | null;
  failure: { errorCode: BulkOperationFailureCode; partialFraction: number } | null;
  /** Knobs applied when it was created (failOperation, slowOperation), shown when they show. */
  knobs: (keyof SimulatorFaults)[];
  result: Promise<Result>;
  statsReady: Stats | null;
  finishNotified: boolean;
}

const RESOURCE_OF_ROOT: Record<string, 'products' | 'orders' | undefined> = { products: 'products', orders: 'orders' };

function timestamp(ms: number): string {
  return `${new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19)}Z`;
}

function encodeCursor(index: number): string {
  return Buffer.from(`cursor:${index}`).toString('base64');
}

function decodeCursor(cursor: unknown): number {
  if (typeof cursor !== 'string') return -1;
  const match = /^cursor:(\d+)$/.exec(Buffer.from(cursor, 'base64').toString('utf8'));
  if (!match) throw new GraphQLError('Invalid cursor', { extensions: { code: 'INVALID_CURSOR' } });
  return Number(match[1]);
}

interface PageArgs {
  first?: number | null;
  after?: string | null;
  last?: number | null;
  before?: string | null;
}

function connection<T>(items: readonly T[], args: PageArgs) {
  let start = args.after ? decodeCursor(args.after) + 1 : 0;
  let end = args.before ? decodeCursor(args.before) : items.length;
  if (typeof args.first === 'number') end = Math.min(end, start + args.first);
  if (typeof args.last === 'number') start = Math.max(start, end - args.last);
  const slice = items.slice(start, end).map((node, offset) => ({ cursor: encodeCursor(start + offset), node }));
  return {
    edges: slice,
    nodes: slice.map((edge) => edge.node),
    pageInfo: {
      hasNextPage: end < items.length,
      hasPreviousPage: start > 0,
      startCursor: slice[0]?.cursor ?? null,
      endCursor: slice.at(-1)?.cursor ?? null,
    },
  };
}

function parseJson(line: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(line);
    return value && typeof value === 'object' && !Array.isArray(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

const PARENT_ID = /"__parentId":"((?:[^"\\]|\\.)*)"/;

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
async function* resultLines(
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

interface Result {
  roots: Set<string> | undefined;
  stats: Stats;
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

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', ...headers });
  response.end(text);
}

function mergeFaults(current: SimulatorFaults, patch: FaultsPatch): SimulatorFaults {
  const next = structuredClone(current) as unknown as Record<string, unknown>;
  for (const [key, value] of Object.entries(patch)) {
    if (!(key in NO_FAULTS)) throw new Error(`unknown fault knob: ${key}`);
    const existing = next[key];
    next[key] =
      value && typeof value === 'object' && existing && typeof existing === 'object'
        ? { ...existing, ...value }
        : value;
  }
  return next as unknown as SimulatorFaults;
}

// ------------------------------------------------------------------------------------ the server

export async function startShopifySimulator(options: SimulatorOptions = {}): Promise<ShopifySimulator> {
  const now = options.now ?? Date.now;
  const accessToken = options.accessToken ?? DEFAULT_ACCESS_TOKEN;
  let faults: SimulatorFaults = structuredClone(NO_FAULTS);
  let config: SimulatorConfig = {
    webhookUrl: options.webhookUrl,
    webhookSecret: options.webhookSecret ?? DEFAULT_WEBHOOK_SECRET,
    bucket: { maximumAvailable: 2000, restoreRate: 100 },
    timing: { createdMs: 20, runningMs: 150, cancelMs: 50 },
    maxConcurrentOperations: 5,
  };
  const applyConfig = (patch: ConfigPatch) => {
    config = {
      ...config,
      ...patch,
      bucket: { ...config.bucket, ...patch.bucket },
      timing: { ...config.timing, ...patch.timing },
    };
    return config;
  };
  if (options.config) applyConfig(options.config);
  /** What reset() returns to: a test that reconfigures the shared simulator cannot leak into the next. */
  const initialConfig = structuredClone(config);

  let store: StoreSource = storeFromGenerated({
    shop: { name: 'Empty Shop', myshopifyDomain: 'empty-shop.myshopify.com', ianaTimezone: 'UTC', currencyCode: 'USD' },
    period: { firstDate: '1970-01-01', lastDate: '1970-01-01' },
    fixture: { products: [], orders: [], refunds: [], deletions: [] },
    legacy: { products: [], orders: [], deletedProductIds: [] },
  });
  let bucket = { available: config.bucket.maximumAvailable, updatedAt: now() };
  let totals = noTotals();
  let operations: SimOperation[] = [];
  let operationCounter = 0;
  let log: RequestLogEntry[] = [];
  let deliveries: WebhookDelivery[] = [];
  const timers = new Set<ReturnType<typeof setTimeout>>();
  let refundIndex: Promise<Map<string, Record<string, unknown>[]>> | undefined;
  let baseUrl = '';

  /** The knobs that fired while answering the request in progress (GraphQL resolvers run in it). */
  const firing = new AsyncLocalStorage<Set<keyof SimulatorFaults>>();
  const fired = (knob: keyof SimulatorFaults) => firing.getStore()?.add(knob);
  const record = (entry: Omit<RequestLogEntry, 'at'>) => {
    const knobs = [...(entry.faults ?? []), ...(firing.getStore() ?? [])];
    log.push({ at: new Date(now()).toISOString(), ...entry, ...(knobs.length ? { faults: [...new Set(knobs)] } : {}) });
    if (log.length > 2000) log = log.slice(-1000);
  };

  async function loadStore(input: StoreInput): Promise<StoreSource> {
    if ('fixtureDir' in input) return storeFromFixtureDir(input.fixtureDir);
    if ('generate' in input) return storeFromGeneratorOptions(input.generate);
    if ('lines' in input) return input;
    return storeFromGenerated(input);
  }

  async function setStore(input: StoreInput): Promise<void> {
    store = await loadStore(input);
    refundIndex = undefined;
    operations = [];
  }

  if (options.fixtureDir) await setStore({ fixtureDir: options.fixtureDir });
  else if (options.generate) await setStore({ generate: options.generate });
  else if (options.store) await setStore(options.store);

  // ---------------------------------------------------------------- bulk operations

  function statusOf(op: SimOperation, at = now()): string {
    if (op.canceledAtMs !== null) return at < op.canceledAtMs + config.timing.cancelMs ? 'CANCELING' : 'CANCELED';
    if (at < op.runningAtMs) return 'CREATED';
    if (at < op.completeAtMs || !op.statsReady) return 'RUNNING';
    if (op.failure) return 'FAILED';
    return faults.expireOperations ? 'EXPIRED' : 'COMPLETED';
  }

  function view(op: SimOperation) {
    const status = statusOf(op);
    if (status === 'FAILED' && op.knobs.includes('failOperation')) fired('failOperation');
    if (status === 'EXPIRED') fired('expireOperations');
    if (status === 'RUNNING' && op.knobs.includes('slowOperation') && now() >= op.runningAtMs + config.timing.runningMs)
      fired('slowOperation');
    const stats = op.statsReady;
    const done = status === 'COMPLETED' || status === 'FAILED' || status === 'EXPIRED' || status === 'CANCELED';
    const partial =
      op.failure && op.failure.errorCode !== 'ACCESS_DENIED' && stats
        ? Math.floor(stats.objectCount * op.failure.partialFraction)
        : 0;
    const progress = stats
      ? Math.min(1, Math.max(0, (now() - op.runningAtMs) / Math.max(1, op.completeAtMs - op.runningAtMs)))
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
      url: status === 'COMPLETED' ? `${baseUrl}/__simulator/downloads/${op.number}.jsonl` : null,
      partialDataUrl:
        status === 'FAILED' && partial > 0 ? `${baseUrl}/__simulator/downloads/${op.number}-partial.jsonl` : null,
      createdAt: timestamp(op.createdAtMs),
      completedAt: done
        ? timestamp(
            op.canceledAtMs !== null
              ? op.canceledAtMs + config.timing.cancelMs
              : Math.max(op.completeAtMs, op.createdAtMs),
          )
        : null,
      query: op.query,
      type: 'QUERY',
    };
  }

  function schedule(at: number, task: () => void): void {
    const timer = setTimeout(
      () => {
        timers.delete(timer);
        task();
      },
      Math.max(0, at - now()),
    );
    timer.unref?.();
    timers.add(timer);
  }

  async function notifyFinished(op: SimOperation): Promise<void> {
    if (op.finishNotified || !config.webhookUrl) return;
    await op.result.catch(() => undefined);
    const status = statusOf(op);
    if (!['COMPLETED', 'FAILED', 'CANCELED', 'EXPIRED'].includes(status)) {
      // Not done yet (stats still computing on a large store): look again shortly.
      schedule(now() + 50, () => void notifyFinished(op));
      return;
    }
    op.finishNotified = true;
    const v = view(op);
    await deliver({
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

  function createOperation(query: string, plan: BulkQueryPlan): SimOperation {
    const createdAtMs = now();
    const runningAtMs = createdAtMs + config.timing.createdMs;
    let runningMs = config.timing.runningMs;
    const knobs: SimOperation['knobs'] = [];
    if (faults.slowOperation.times > 0) {
      faults.slowOperation.times--;
      runningMs = faults.slowOperation.runningMs;
      knobs.push('slowOperation');
    }
    let failure: SimOperation['failure'] = null;
    if (faults.failOperation.times > 0) {
      faults.failOperation.times--;
      failure = { errorCode: faults.failOperation.errorCode, partialFraction: faults.failOperation.partialFraction };
      knobs.push('failOperation');
    }
    operationCounter++;
    const number = 4_412_000_000 + operationCounter;
    const source = store;
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
    operations.push(op);
    schedule(op.completeAtMs, () => void notifyFinished(op));
    return op;
  }

  function active(): SimOperation[] {
    return operations.filter((op) => ['CREATED', 'RUNNING', 'CANCELING'].includes(statusOf(op)));
  }

  function runBulkQuery(query: string) {
    const fail = (userErrors: BulkUserError[]) => ({ bulkOperation: null, userErrors });
    const analysis = analyzeBulkQuery(schema, query);
    if ('userErrors' in analysis) return fail(analysis.userErrors);
    if (faults.limitReached > 0) {
      faults.limitReached--;
      fired('limitReached');
      return fail([
        { field: null, message: 'Bulk operations limit reached. Please try again later.', code: 'LIMIT_REACHED' },
      ]);
    }
    if (faults.operationInProgress > 0) {
      faults.operationInProgress--;
      fired('operationInProgress');
      const started = createOperation(query, analysis.plan);
      return fail([
        {
          field: null,
          message: `A bulk query operation for this app and shop is already in progress: ${started.id}.`,
          code: 'OPERATION_IN_PROGRESS',
        },
      ]);
    }
    const running = active();
    if (running.length >= config.maxConcurrentOperations) {
      if (config.maxConcurrentOperations === 1 && running[0]) {
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
    return { bulkOperation: view(createOperation(query, analysis.plan)), userErrors: [] };
  }

  function cancelBulkOperation(id: string) {
    const op = operations.find((candidate) => candidate.id === id);
    if (!op) return { bulkOperation: null, userErrors: [{ field: ['id'], message: 'Bulk operation does not exist' }] };
    const status = statusOf(op);
    if (status !== 'CREATED' && status !== 'RUNNING') {
      return {
        bulkOperation: view(op),
        userErrors: [
          { field: null, message: `A bulk operation cannot be canceled when it is ${status.toLowerCase()}` },
        ],
      };
    }
    op.canceledAtMs = now();
    schedule(op.canceledAtMs + config.timing.cancelMs, () => void notifyFinished(op));
    return { bulkOperation: view(op), userErrors: [] };
  }

  // ---------------------------------------------------------------- ordinary queries

  async function refunds(): Promise<Map<string, Record<string, unknown>[]>> {
    refundIndex ??= (async () => {
      const byOrder = new Map<string, Record<string, unknown>[]>();
      const source = store;
      for await (const line of source.lines('orders')) {
        if (PARENT_ID.test(line)) continue;
        const order = parseJson(line);
        if (order && typeof order.id === 'string' && order.__parentId === undefined) byOrder.set(order.id, []);
      }
      for await (const line of source.lines('refunds')) {
        const refund = parseJson(line);
        const orderId = (refund?.order as { id?: string } | undefined)?.id;
        if (!refund || !orderId) continue;
        if (!byOrder.has(orderId)) byOrder.set(orderId, []);
        byOrder.get(orderId)?.push(refund);
      }
      return byOrder;
    })();
    return refundIndex;
  }

  function refundView(refund: Record<string, unknown>) {
    const lines = ((refund.refundLineItems as { nodes?: unknown[] } | undefined)?.nodes ?? []) as Record<
      string,
      unknown
    >[];
    const orderId = (refund.order as { id: string }).id;
    return {
      __typename: 'Refund',
      id: refund.id,
      legacyResourceId: String(refund.id).split('/').pop(),
      createdAt: refund.createdAt,
      updatedAt: refund.createdAt,
      order: { __typename: 'Order', id: orderId },
      refundLineItems: (args: PageArgs) => connection(lines, args),
    };
  }

  async function orderView(id: string) {
    const index = await refunds();
    const orderRefunds = index.get(id);
    if (!orderRefunds) return null;
    return {
      __typename: 'Order',
      id,
      legacyResourceId: id.split('/').pop(),
      refunds: (args: { first?: number }) =>
        orderRefunds.slice(0, typeof args.first === 'number' ? args.first : undefined).map(refundView),
    };
  }

  async function nodeById(id: string) {
    const type = /^gid:\/\/shopify\/(\w+)\//.exec(id)?.[1];
    if (type === 'Order') return orderView(id);
    if (type === 'Refund') {
      for (const list of (await refunds()).values()) {
        const refund = list.find((candidate) => candidate.id === id);
        if (refund) return refundView(refund);
      }
      return null;
    }
    if (type === 'BulkOperation') {
      const op = operations.find((candidate) => candidate.id === id);
      return op ? view(op) : null;
    }
    return null;
  }

  async function deletionEvents() {
    const events = [];
    let index = 0;
    for await (const line of store.lines('deletions')) {
      const deletion = parseJson(line);
      if (!deletion) continue;
      index++;
      events.push({
        __typename: 'BasicEvent',
        id: `gid://shopify/BasicEvent/${90_000_000_000 + index}`,
        appTitle: null,
        attributeToApp: false,
        attributeToUser: true,
        createdAt: deletion.createdAt,
        criticalAlert: false,
        message: 'Product was deleted.',
        action: deletion.action,
        subjectId: deletion.subjectId,
        subjectType: deletion.subjectType,
        subject: null,
      });
    }
    return events;
  }

  const unsupported = (field: string) => () => {
    throw new GraphQLError(`The Shopify simulator serves ${field} through bulk operations only`, {
      extensions: { code: 'SIMULATOR_UNSUPPORTED' },
    });
  };

  const rootValue = {
    shop: () => ({
      __typename: 'Shop',
      id: 'gid://shopify/Shop/1',
      ...store.shop,
      timezoneAbbreviation: store.shop.ianaTimezone,
      email: `owner@${store.shop.myshopifyDomain}`,
    }),
    node: ({ id }: { id: string }) => nodeById(id),
    nodes: ({ ids }: { ids: string[] }) => Promise.all(ids.map(nodeById)),
    order: ({ id }: { id: string }) => orderView(id),
    product: unsupported('products'),
    products: unsupported('products'),
    orders: unsupported('orders'),
    collections: unsupported('collections'),
    bulkOperation: ({ id }: { id: string }) => {
      const op = operations.find((candidate) => candidate.id === id);
      return op ? view(op) : null;
    },
    currentBulkOperation: () => {
      const op = operations.at(-1);
      return op ? view(op) : null;
    },
    bulkOperations: (args: PageArgs & { query?: string; sortKey?: string; reverse?: boolean }) => {
      const matches = searchPredicate(args.query);
      const views = operations.map(view).filter((v) =>
        matches((field) => {
          if (field === 'status') return v.status.toLowerCase();
          if (field === 'operation_type') return 'query';
          if (field === 'created_at') return v.createdAt;
          if (field === 'id') return Number(v.id.split('/').pop());
          return undefined;
        }),
      );
      const key = args.sortKey === 'COMPLETED_AT' ? 'completedAt' : 'createdAt';
      views.sort((a, b) => String(a[key] ?? '').localeCompare(String(b[key] ?? '')) || a.id.localeCompare(b.id));
      // Shopify's default order is newest first; `reverse` flips it.
      if (!args.reverse) views.reverse();
      return connection(views, args);
    },
    events: async (args: PageArgs & { query?: string; sortKey?: string; reverse?: boolean }) => {
      const matches = searchPredicate(args.query);
      const events = (await deletionEvents()).filter((event) =>
        matches((field) => {
          if (field === 'action') return event.action as string;
          if (field === 'subject_type') return event.subjectType as string;
          if (field === 'created_at') return event.createdAt as string;
          if (field === 'id') return Number(event.id.split('/').pop());
          return undefined;
        }),
      );
      if (args.sortKey === 'CREATED_AT') {
        events.sort((a, b) => String(a.createdAt).localeCompare(String(b.createdAt)));
      }
      if (args.reverse) events.reverse();
      return connection(events, args);
    },
    bulkOperationRunQuery: ({ query }: { query: string }) => runBulkQuery(query),
    bulkOperationCancel: ({ id }: { id: string }) => cancelBulkOperation(id),
  };

  // ---------------------------------------------------------------- GraphQL endpoint

  function refillBucket(): void {
    const at = now();
    bucket = {
      available: Math.min(
        config.bucket.maximumAvailable,
        bucket.available + ((at - bucket.updatedAt) / 1000) * config.bucket.restoreRate,
      ),
      updatedAt: at,
    };
  }

  function costTotals(): CostTotals {
    return { ...totals, bucket: { ...config.bucket } };
  }

  function throttleStatus() {
    return {
      maximumAvailable: config.bucket.maximumAvailable,
      currentlyAvailable: Math.floor(bucket.available),
      restoreRate: config.bucket.restoreRate,
    };
  }

  async function handleGraphQL(request: IncomingMessage, response: ServerResponse, path: string): Promise<void> {
    const token = request.headers['x-shopify-access-token'];
    if (token !== accessToken) {
      record({ kind: 'graphql', path, status: 401, outcome: 'unauthorized' });
      sendJson(response, 401, {
        errors: '[API] Invalid API key or access token (unrecognized login or wrong password)',
      });
      return;
    }
    const rawBody = await readBody(request);
    const body = parseJson(rawBody) as { query?: unknown; variables?: unknown; operationName?: unknown } | undefined;
    const query = typeof body?.query === 'string' ? body.query : undefined;
    const variables = (body?.variables && typeof body.variables === 'object' ? body.variables : {}) as Record<
      string,
      unknown
    >;
    const operationName = typeof body?.operationName === 'string' ? body.operationName : undefined;
    const base = { kind: 'graphql' as const, path, query, variables };

    if (faults.httpErrors.times > 0) {
      faults.httpErrors.times--;
      const status = faults.httpErrors.status;
      record({ ...base, status, outcome: `http-${status}`, faults: ['httpErrors'] });
      sendJson(response, status, { errors: 'Internal Server Error' });
      return;
    }
    if (faults.rateLimited.times > 0) {
      faults.rateLimited.times--;
      record({ ...base, status: 429, outcome: 'rate-limited', faults: ['rateLimited'] });
      sendJson(
        response,
        429,
        { errors: 'Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service.' },
        { 'Retry-After': String(faults.rateLimited.retryAfterSeconds) },
      );
      return;
    }
    if (!query) {
      record({ ...base, status: 400, outcome: 'invalid' });
      sendJson(response, 400, { errors: { query: 'Required parameter missing or invalid' } });
      return;
    }

    let document: DocumentNode;
    try {
      document = parse(query);
    } catch (error) {
      const message = error instanceof GraphQLError ? error.message : String(error);
      record({ ...base, status: 200, outcome: 'invalid' });
      sendJson(response, 200, { errors: [{ message, extensions: { code: 'PARSE_ERROR' } }] });
      return;
    }
    const validation = validateDocument(schema, document);
    const operations = document.definitions.filter(
      (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
    );
    const operation = operationName
      ? operations.find((candidate) => candidate.name?.value === operationName)
      : operations[0];
    const structural =
      validation.length === 0 && operation ? checkConnectionArguments(schema, document, operation, variables) : [];
    if (validation.length > 0 || structural.length > 0 || !operation) {
      const errors = [...validation, ...structural].map((error) => error.toJSON());
      record({ ...base, operationName, status: 200, outcome: 'invalid' });
      sendJson(response, 200, { errors: errors.length > 0 ? errors : [{ message: 'No operation to run' }] });
      return;
    }

    const requested = requestedQueryCost(schema, document, operation, variables);
    refillBucket();
    if (requested > MAX_QUERY_COST) {
      totals.maxCostExceeded++;
      record({ ...base, operationName, status: 200, outcome: 'max-cost-exceeded', requestedQueryCost: requested });
      sendJson(response, 200, {
        errors: [
          {
            message: `Query cost is ${requested}, which exceeds the single query max cost limit (${MAX_QUERY_COST}).`,
            extensions: { code: 'MAX_COST_EXCEEDED', cost: requested, maxCost: MAX_QUERY_COST },
          },
        ],
        extensions: {
          cost: { requestedQueryCost: requested, actualQueryCost: null, throttleStatus: throttleStatus() },
        },
      });
      return;
    }
    const forced = faults.throttle > 0;
    if (forced || bucket.available < requested) {
      if (forced) faults.throttle--;
      const status = throttleStatus();
      if (forced)
        status.currentlyAvailable = Math.min(status.currentlyAvailable, Math.max(0, requested - status.restoreRate));
      totals.throttled++;
      record({
        ...base,
        operationName,
        status: 200,
        outcome: 'throttled',
        requestedQueryCost: requested,
        ...(forced ? { faults: ['throttle' as const] } : {}),
      });
      sendJson(response, 200, {
        errors: [
          {
            message: 'Throttled',
            extensions: { code: 'THROTTLED', documentation: 'https://shopify.dev/api/usage/rate-limits' },
          },
        ],
        extensions: { cost: { requestedQueryCost: requested, actualQueryCost: null, throttleStatus: status } },
      });
      return;
    }

    // Shopify charges the requested cost up front and refunds the difference to the actual cost after.
    bucket.available -= requested;
    const result = await execute({
      schema,
      document,
      rootValue,
      variableValues: variables,
      operationName,
    });
    const actual = actualQueryCost(schema, document, operation, result.data, requested);
    refillBucket();
    bucket.available = Math.min(config.bucket.maximumAvailable, bucket.available + requested - actual);
    totals.queries++;
    totals.requestedQueryCost += requested;
    totals.actualQueryCost += actual;
    record({
      ...base,
      operationName: operationName ?? operation.name?.value,
      status: 200,
      outcome: result.errors?.length ? 'errors' : 'ok',
      requestedQueryCost: requested,
      actualQueryCost: actual,
    });
    sendJson(response, 200, {
      ...(result.errors?.length ? { errors: result.errors.map((error) => error.toJSON()) } : {}),
      data: result.data ?? null,
      extensions: {
        cost: { requestedQueryCost: requested, actualQueryCost: actual, throttleStatus: throttleStatus() },
      },
    });
  }

  // ---------------------------------------------------------------- downloads

  async function handleDownload(
    response: ServerResponse,
    path: string,
    name: string,
    rangeHeader: string | undefined,
  ): Promise<void> {
    const match = /^(\d+)(-partial)?\.jsonl$/.exec(name);
    const op = match ? operations.find((candidate) => candidate.number === Number(match[1])) : undefined;
    if (!match || !op) {
      record({ kind: 'download', path, status: 404, outcome: 'not-found' });
      sendJson(response, 404, { errors: 'Not Found' });
      return;
    }
    const partial = Boolean(match[2]);
    const status = statusOf(op);
    const expired = status === 'EXPIRED' || faults.expiredUrl > 0;
    if (expired) {
      if (status !== 'EXPIRED') faults.expiredUrl--;
      record({
        kind: 'download',
        path,
        status: 403,
        outcome: 'expired-url',
        faults: [status === 'EXPIRED' ? 'expireOperations' : 'expiredUrl'],
      });
      response.writeHead(403, { 'Content-Type': 'application/xml; charset=UTF-8' });
      response.end(
        "<?xml version='1.0' encoding='UTF-8'?><Error><Code>AccessDenied</Code><Message>Access denied.</Message><Details>Request has expired</Details></Error>",
      );
      return;
    }
    const ready = partial ? status === 'FAILED' : status === 'COMPLETED';
    if (!ready) {
      record({ kind: 'download', path, status: 404, outcome: `not-ready-${status.toLowerCase()}` });
      sendJson(response, 404, { errors: 'Not Found' });
      return;
    }
    const { stats, roots } = await op.result;
    let truncateAt: number | undefined;
    if (faults.truncatedDownload.times > 0) {
      faults.truncatedDownload.times--;
      truncateAt = Math.floor(stats.fileSize * faults.truncatedDownload.fraction);
    }
    const shapedBy: SimOperation['knobs'] = [];
    if (truncateAt !== undefined) shapedBy.push('truncatedDownload');
    if (partial && op.knobs.includes('failOperation')) shapedBy.push('failOperation');
    const partialLines = partial && op.failure ? Math.floor(stats.objectCount * op.failure.partialFraction) : undefined;
    // Range: bytes=<first>-[<last>], as the signed URLs of Shopify's storage honour (one range)
    const range = /^bytes=(\d+)-(\d*)$/.exec(rangeHeader ?? '');
    const size = partialLines === undefined ? stats.fileSize : undefined;
    const first = range ? Number(range[1]) : 0;
    const last = Math.min(range?.[2] ? Number(range[2]) : Number.POSITIVE_INFINITY, (size ?? Infinity) - 1);
    if (range && size !== undefined && first >= size) {
      record({ kind: 'download', path, status: 416, outcome: 'range-not-satisfiable' });
      response.writeHead(416, { 'Content-Range': `bytes */${size}` });
      response.end();
      return;
    }
    const httpStatus = range ? 206 : 200;
    record({
      kind: 'download',
      path,
      status: httpStatus,
      outcome: truncateAt === undefined ? 'ok' : 'truncated',
      ...(shapedBy.length ? { faults: shapedBy } : {}),
    });
    const headers: Record<string, string> = { 'Content-Type': 'application/jsonl', 'Accept-Ranges': 'bytes' };
    if (size !== undefined) headers['Content-Length'] = String(last - first + 1);
    if (range) headers['Content-Range'] = `bytes ${first}-${Number.isFinite(last) ? last : '*'}/${size ?? '*'}`;
    response.writeHead(httpStatus, headers);

    // position: bytes of the whole result passed so far; only those in [first, last] are sent
    let position = 0;
    const write = async (chunk: Buffer | string): Promise<boolean> => {
      const whole = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      const start = position;
      position += whole.length;
      if (position <= first) return true;
      let bytes = whole.subarray(Math.max(0, first - start), Math.max(0, last + 1 - start));
      const at = Math.max(start, first);
      if (truncateAt !== undefined && at + bytes.length >= truncateAt) {
        bytes = bytes.subarray(0, Math.max(0, truncateAt - at));
        if (bytes.length > 0) response.write(bytes);
        // Drop the connection mid-body, as a broken download does.
        response.destroy();
        return false;
      }
      if (bytes.length > 0 && !response.write(bytes)) await once(response, 'drain');
      return position <= last;
    };

    const resource = RESOURCE_OF_ROOT[op.plan.rootField];
    const file = resource && !roots && partialLines === undefined ? op.source.filePath(resource) : undefined;
    if (file) {
      for await (const chunk of createReadStream(file)) if (!(await write(chunk as Buffer))) break;
      if (!response.destroyed) response.end();
      return;
    }
    let batch = '';
    let count = 0;
    for await (const line of resultLines(op.source, op.plan, roots)) {
      if (partialLines !== undefined && count >= partialLines) break;
      count++;
      batch += `${line}\n`;
      if (batch.length >= 1 << 16) {
        const more = await write(batch);
        batch = '';
        if (!more) break;
      }
    }
    if (batch) await write(batch);
    if (!response.destroyed) response.end();
  }

  // ---------------------------------------------------------------- webhooks

  async function deliver(request: TriggerWebhookRequest & { payload: unknown }): Promise<WebhookDelivery[]> {
    if (!config.webhookUrl) throw new Error('no webhook URL configured (POST /__simulator/config {"webhookUrl": …})');
    const results: WebhookDelivery[] = [];
    let webhookId = request.webhookId;
    for (let i = 0; i < Math.max(1, request.times ?? 1); i++) {
      const delivery = await sendWebhook({
        url: config.webhookUrl,
        secret: config.webhookSecret,
        topic: request.topic,
        shopDomain: store.shop.myshopifyDomain,
        apiVersion: SHOPIFY_API_VERSION,
        payload: request.payload,
        webhookId,
        signWith: request.signWith,
      });
      webhookId = delivery.webhookId;
      results.push(delivery);
      deliveries.push(delivery);
    }
    if (deliveries.length > 1000) deliveries = deliveries.slice(-500);
    return results;
  }

  async function triggerWebhook(request: TriggerWebhookRequest): Promise<WebhookDelivery[]> {
    if (request.payload !== undefined) return deliver({ ...request, payload: request.payload });
    const numeric = request.id === undefined ? undefined : String(request.id).split('/').pop();
    if (!numeric) throw new Error(`webhook ${request.topic} needs an id or a payload`);
    let payload: unknown;
    switch (request.topic) {
      case 'products/update': {
        const product = await store.legacyProduct(numeric);
        if (!product) throw new Error(`no product ${numeric} with a REST shape in the store`);
        payload = { ...product, admin_graphql_api_id: `gid://shopify/Product/${numeric}` };
        break;
      }
      case 'products/delete':
        payload = { id: Number(numeric) };
        break;
      case 'orders/updated': {
        const order = await store.legacyOrder(numeric);
        if (!order) throw new Error(`no order ${numeric} with a REST shape in the store`);
        payload = { ...order, admin_graphql_api_id: `gid://shopify/Order/${numeric}` };
        break;
      }
      case 'bulk_operations/finish': {
        const op = operations.find((candidate) => candidate.number === Number(numeric));
        if (!op) throw new Error(`no bulk operation ${numeric}`);
        const v = view(op);
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
    return deliver({ ...request, payload });
  }

  // ---------------------------------------------------------------- control API and routing

  function operationViews(): SimulatorOperationView[] {
    return operations.map((op) => ({
      id: op.id,
      status: statusOf(op),
      query: op.query,
      rootField: op.plan.rootField,
      search: op.plan.search,
      failure: op.failure?.errorCode ?? null,
    }));
  }

  function reset(): void {
    faults = structuredClone(NO_FAULTS);
    config = structuredClone(initialConfig);
    operations = [];
    log = [];
    deliveries = [];
    bucket = { available: config.bucket.maximumAvailable, updatedAt: now() };
    totals = noTotals();
    for (const timer of timers) clearTimeout(timer);
    timers.clear();
  }

  async function handleControl(request: IncomingMessage, response: ServerResponse, path: string): Promise<void> {
    const action = path.slice('/__simulator/'.length);
    const input = request.method === 'POST' ? (parseJson((await readBody(request)) || '{}') ?? {}) : {};
    try {
      let result: unknown;
      if (action === 'store' && request.method === 'POST') {
        await setStore((input.store ?? input) as StoreInput);
        result = { shop: store.shop, description: store.description };
      } else if (action === 'store') {
        result = { shop: store.shop, description: store.description };
      } else if (action === 'faults') {
        if (request.method === 'POST') faults = mergeFaults(faults, input as FaultsPatch);
        result = faults;
      } else if (action === 'config') {
        if (request.method === 'POST') applyConfig(input as ConfigPatch);
        result = config;
      } else if (action === 'reset' && request.method === 'POST') {
        reset();
        result = { reset: true };
      } else if (action === 'totals') {
        result = costTotals();
      } else if (action === 'requests') {
        result = log;
      } else if (action === 'operations') {
        result = operationViews();
      } else if (action === 'webhooks') {
        result = deliveries;
      } else if (action === 'webhooks/trigger' && request.method === 'POST') {
        result = await triggerWebhook(input as unknown as TriggerWebhookRequest);
      } else {
        sendJson(response, 404, { error: `unknown simulator control ${request.method} ${path}` });
        return;
      }
      sendJson(response, 200, result);
    } catch (error) {
      sendJson(response, 400, { error: error instanceof Error ? error.message : String(error) });
    }
  }

  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://simulator');
    const path = url.pathname;
    const handle = async () => {
      if (request.method === 'POST' && /^\/admin\/api\/[\w-]+\/graphql\.json$/.test(path)) {
        await firing.run(new Set(), () => handleGraphQL(request, response, path));
      } else if (request.method === 'GET' && path.startsWith('/__simulator/downloads/')) {
        await handleDownload(response, path, path.slice('/__simulator/downloads/'.length), request.headers.range);
      } else if (path.startsWith('/__simulator/')) {
        await handleControl(request, response, path);
      } else if (path === '/' || path === '/health') {
        sendJson(response, 200, {
          simulator: 'shopify',
          shop: store.shop.myshopifyDomain,
          adminApiUrl: `${baseUrl}/admin/api/${SHOPIFY_API_VERSION}/graphql.json`,
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
  baseUrl = `http://${address.address}:${address.port}`;

  return {
    url: baseUrl,
    adminApiUrl: `${baseUrl}/admin/api/${SHOPIFY_API_VERSION}/graphql.json`,
    get shopDomain() {
      return store.shop.myshopifyDomain;
    },
    accessToken,
    get webhookSecret() {
      return config.webhookSecret;
    },
    setStore,
    setFaults(patch) {
      faults = mergeFaults(faults, patch);
      return faults;
    },
    configure: applyConfig,
    reset,
    requests: () => [...log],
    totals: costTotals,
    operations: operationViews,
    webhookDeliveries: () => [...deliveries],
    triggerWebhook,
    async close() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      server.closeAllConnections();
      server.close();
      await once(server, 'close').catch(() => undefined);
    },
  };
}
