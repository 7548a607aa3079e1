/**
 * The simulator's one state object: the store, the cost bucket, fault knobs, bulk operations, the
 * request log, cost totals and config. The GraphQL, bulk-operation, download and control modules
 * read and change it; server.ts creates it and routes requests to them.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { GeneratedStore, StoreOptions } from '../store-generator/generate.ts';
import type { BulkQueryPlan } from './bulk-query-rules.ts';
import {
  type StoreSource,
  storeFromFixtureDir,
  storeFromGenerated,
  storeFromGeneratorOptions,
} from './store-source.ts';
import type { WebhookDelivery } from './webhooks.ts';

export const DEFAULT_ACCESS_TOKEN = 'shpat_simulator_access_token';
export const DEFAULT_WEBHOOK_SECRET = 'simulator-webhook-secret';

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

const noTotals = (): Totals => ({
  queries: 0,
  requestedQueryCost: 0,
  actualQueryCost: 0,
  throttled: 0,
  maxCostExceeded: 0,
});

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

export interface Stats {
  objectCount: number;
  rootObjectCount: number;
  fileSize: number;
}

export interface Result {
  roots: Set<string> | undefined;
  stats: Stats;
}

export interface SimOperation {
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

type Totals = Omit<CostTotals, 'bucket'>;

/** Everything the simulator knows; one per server, passed to every handler. */
export interface SimulatorState {
  readonly now: () => number;
  readonly accessToken: string;
  faults: SimulatorFaults;
  config: SimulatorConfig;
  /** What reset() returns to: a test that reconfigures the shared simulator cannot leak into the next. */
  readonly initialConfig: SimulatorConfig;
  store: StoreSource;
  bucket: { available: number; updatedAt: number };
  totals: Totals;
  operations: SimOperation[];
  operationCounter: number;
  log: RequestLogEntry[];
  deliveries: WebhookDelivery[];
  readonly timers: Set<ReturnType<typeof setTimeout>>;
  refundIndex: Promise<Map<string, Record<string, unknown>[]>> | undefined;
  baseUrl: string;
  /** The knobs that fired while answering the request in progress (GraphQL resolvers run in it). */
  readonly firing: AsyncLocalStorage<Set<keyof SimulatorFaults>>;
}

const EMPTY_STORE: GeneratedStore = {
  shop: { name: 'Empty Shop', myshopifyDomain: 'empty-shop.myshopify.com', ianaTimezone: 'UTC', currencyCode: 'USD' },
  period: { firstDate: '1970-01-01', lastDate: '1970-01-01' },
  fixture: { products: [], orders: [], refunds: [], deletions: [] },
  legacy: { products: [], orders: [], deletedProductIds: [] },
};

/** A fresh state on the empty store (setStore loads the one the options name). */
export function createState(options: SimulatorOptions): SimulatorState {
  const now = options.now ?? Date.now;
  const state: Omit<SimulatorState, 'initialConfig' | 'bucket'> = {
    now,
    accessToken: options.accessToken ?? DEFAULT_ACCESS_TOKEN,
    faults: structuredClone(NO_FAULTS),
    config: {
      webhookUrl: options.webhookUrl,
      webhookSecret: options.webhookSecret ?? DEFAULT_WEBHOOK_SECRET,
      bucket: { maximumAvailable: 2000, restoreRate: 100 },
      timing: { createdMs: 20, runningMs: 150, cancelMs: 50 },
      maxConcurrentOperations: 5,
    },
    store: storeFromGenerated(EMPTY_STORE),
    totals: noTotals(),
    operations: [],
    operationCounter: 0,
    log: [],
    deliveries: [],
    timers: new Set(),
    refundIndex: undefined,
    baseUrl: '',
    firing: new AsyncLocalStorage(),
  };
  if (options.config) applyConfig(state, options.config);
  return {
    ...state,
    initialConfig: structuredClone(state.config),
    bucket: { available: state.config.bucket.maximumAvailable, updatedAt: now() },
  };
}

export function applyConfig(state: Pick<SimulatorState, 'config'>, patch: ConfigPatch): SimulatorConfig {
  const { config } = state;
  state.config = {
    ...config,
    ...patch,
    bucket: { ...config.bucket, ...patch.bucket },
    timing: { ...config.timing, ...patch.timing },
  };
  return state.config;
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

export function setFaults(state: SimulatorState, patch: FaultsPatch): SimulatorFaults {
  state.faults = mergeFaults(state.faults, patch);
  return state.faults;
}

/** Marks a knob as having shaped the answer in progress. */
export function fired(state: SimulatorState, knob: keyof SimulatorFaults): void {
  state.firing.getStore()?.add(knob);
}

export function record(state: SimulatorState, entry: Omit<RequestLogEntry, 'at'>): void {
  const knobs = [...(entry.faults ?? []), ...(state.firing.getStore() ?? [])];
  state.log.push({
    at: new Date(state.now()).toISOString(),
    ...entry,
    ...(knobs.length ? { faults: [...new Set(knobs)] } : {}),
  });
  if (state.log.length > 2000) state.log = state.log.slice(-1000);
}

async function loadStore(input: StoreInput): Promise<StoreSource> {
  if ('fixtureDir' in input) return storeFromFixtureDir(input.fixtureDir);
  if ('generate' in input) return storeFromGeneratorOptions(input.generate);
  if ('lines' in input) return input;
  return storeFromGenerated(input);
}

export async function setStore(state: SimulatorState, input: StoreInput): Promise<void> {
  state.store = await loadStore(input);
  state.refundIndex = undefined;
  state.operations = [];
}

export function schedule(state: SimulatorState, at: number, task: () => void): void {
  const timer = setTimeout(
    () => {
      state.timers.delete(timer);
      task();
    },
    Math.max(0, at - state.now()),
  );
  timer.unref?.();
  state.timers.add(timer);
}

export function clearTimers(state: SimulatorState): void {
  for (const timer of state.timers) clearTimeout(timer);
  state.timers.clear();
}

/** Clears faults, operations, logs, the cost bucket and config changes (keeps the store). */
export function resetState(state: SimulatorState): void {
  state.faults = structuredClone(NO_FAULTS);
  state.config = structuredClone(state.initialConfig);
  state.operations = [];
  state.log = [];
  state.deliveries = [];
  state.bucket = { available: state.config.bucket.maximumAvailable, updatedAt: state.now() };
  state.totals = noTotals();
  clearTimers(state);
}

export function costTotals(state: SimulatorState): CostTotals {
  return { ...state.totals, bucket: { ...state.config.bucket } };
}
