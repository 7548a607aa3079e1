/**
 * One Shopify Admin GraphQL request, sent well (Workers and Node alike: fetch only):
 * - pinned API version; access-token auth (X-Shopify-Access-Token);
 * - cost-based throttling: remembers `extensions.cost.throttleStatus` and waits, before sending,
 *   until the leaky bucket holds the query's expected cost (at the reported restore rate);
 * - retries with exponential backoff and jitter on THROTTLED, HTTP 429 (honouring Retry-After),
 *   5xx and network failures; a bounded number of attempts, then a typed error;
 * - errors classified by HTTP status, `extensions.code` and `userErrors.code`, never by message
 *   text (see errors.ts).
 */
import {
  ShopifyAccessDeniedError,
  ShopifyAuthenticationError,
  ShopifyError,
  ShopifyGraphQLError,
  type ShopifyGraphQLErrorDetail,
  ShopifyHttpError,
  ShopifyNetworkError,
  ShopifyQueryCostError,
  ShopifyThrottledError,
} from './errors.ts';
import type { QueryCost, ThrottleStatus } from './types.ts';

/** The pinned Admin API version (Shopify supports each for about a year). */
export const SHOPIFY_API_VERSION = '2026-07';

export interface ShopifyClientOptions {
  /** `your-shop.myshopify.com`. */
  shopDomain: string;
  accessToken: string;
  /** Overrides the GraphQL endpoint (the simulator's); default https://{shopDomain}/admin/api/{version}/graphql.json. */
  adminApiUrl?: string;
  apiVersion?: string;
  fetch?: typeof fetch;
  /** Waits; injectable so tests observe backoff without waiting. */
  sleep?: (ms: number) => Promise<void>;
  /** [0, 1) for jitter; injectable for deterministic tests. */
  random?: () => number;
  /** Milliseconds since the epoch; the bucket refills with time. */
  now?: () => number;
  /** Attempts per request, the first included (default 6). */
  maxAttempts?: number;
  /** First backoff step (default 500 ms); doubles per attempt up to maxDelayMs (default 30 s). */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Called before each retry, for logs. */
  onRetry?: (event: { attempt: number; delayMs: number; reason: string }) => void;
}

export interface GraphQLRequestOptions {
  /** The cost to wait for before sending; default the last requested cost of the same document. */
  expectedCost?: number;
}

/** Sends one GraphQL document and answers its `data`, or throws a typed Shopify error. */
export type ShopifyGraphQL = <T>(
  query: string,
  variables?: Record<string, unknown>,
  options?: GraphQLRequestOptions,
) => Promise<T>;

export interface GraphQLTransport {
  readonly endpoint: string;
  readonly apiVersion: string;
  /** The bucket as Shopify last reported it. */
  readonly throttleStatus: ThrottleStatus | undefined;
  graphql: ShopifyGraphQL;
}

interface GraphQLResponseBody<T> {
  data?: T | null;
  errors?: ShopifyGraphQLErrorDetail[] | string;
  extensions?: { cost?: QueryCost };
}

function retryAfterMs(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

export function createGraphQLTransport(options: ShopifyClientOptions): GraphQLTransport {
  const apiVersion = options.apiVersion ?? SHOPIFY_API_VERSION;
  const endpoint = options.adminApiUrl ?? `https://${options.shopDomain}/admin/api/${apiVersion}/graphql.json`;
  // Wrapped: an unbound global fetch called as a method throws "Illegal invocation" in workerd.
  const fetchImpl = options.fetch ?? ((input, init) => fetch(input, init));
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const random = options.random ?? Math.random;
  const now = options.now ?? Date.now;
  const maxAttempts = Math.max(1, options.maxAttempts ?? 6);
  const baseDelayMs = options.baseDelayMs ?? 500;
  const maxDelayMs = options.maxDelayMs ?? 30_000;

  let bucket: { status: ThrottleStatus; observedAt: number } | undefined;
  const requestedCostByDocument = new Map<string, number>();

  /** Exponential backoff with equal jitter: half the step fixed, half random. */
  function backoffMs(attempt: number): number {
    const step = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
    return Math.round(step / 2 + (random() * step) / 2);
  }

  async function retryAfter(attempt: number, delayMs: number, reason: string): Promise<void> {
    const capped = Math.min(maxDelayMs, Math.max(0, Math.round(delayMs)));
    options.onRetry?.({ attempt, delayMs: capped, reason });
    await sleep(capped);
  }

  /** Waits until the bucket (as last reported, refilled since) holds `cost` points. */
  async function waitForBucket(cost: number): Promise<void> {
    if (!bucket || cost <= 0) return;
    const { status, observedAt } = bucket;
    if (cost > status.maximumAvailable || status.restoreRate <= 0) return;
    const elapsedSeconds = Math.max(0, now() - observedAt) / 1000;
    const available = Math.min(
      status.maximumAvailable,
      status.currentlyAvailable + elapsedSeconds * status.restoreRate,
    );
    if (available >= cost) return;
    await sleep(Math.ceil(((cost - available) / status.restoreRate) * 1000));
  }

  async function graphql<T>(
    query: string,
    variables: Record<string, unknown> = {},
    requestOptions: GraphQLRequestOptions = {},
  ): Promise<T> {
    const body = JSON.stringify({ query, variables });
    let lastFailure = '';
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      const isLast = attempt === maxAttempts;
      await waitForBucket(requestOptions.expectedCost ?? requestedCostByDocument.get(query) ?? 0);

      let response: Response;
      try {
        response = await fetchImpl(endpoint, {
          method: 'POST',
          headers: {
            'Content-Type': 'application/json',
            Accept: 'application/json',
            'X-Shopify-Access-Token': options.accessToken,
          },
          body,
        });
      } catch (error) {
        lastFailure = `network error: ${error instanceof Error ? error.message : String(error)}`;
        if (isLast)
          throw new ShopifyNetworkError(`Shopify unreachable after ${attempt} attempts (${lastFailure})`, {
            cause: error,
          });
        await retryAfter(attempt, backoffMs(attempt), lastFailure);
        continue;
      }

      if (response.status === 429 || response.status >= 500) {
        await response.body?.cancel();
        lastFailure = `HTTP ${response.status}`;
        if (isLast) {
          if (response.status === 429)
            throw new ShopifyThrottledError(`Shopify kept answering 429 after ${attempt} attempts`);
          throw new ShopifyHttpError(
            response.status,
            `Shopify answered HTTP ${response.status} after ${attempt} attempts`,
          );
        }
        const hinted = response.status === 429 ? retryAfterMs(response.headers.get('Retry-After')) : undefined;
        await retryAfter(attempt, hinted ?? backoffMs(attempt), lastFailure);
        continue;
      }
      if (response.status === 401 || response.status === 403) {
        await response.body?.cancel();
        throw new ShopifyAuthenticationError(
          response.status,
          `Shopify refused the access token (HTTP ${response.status}) for ${options.shopDomain}`,
        );
      }
      if (!response.ok) {
        await response.body?.cancel();
        throw new ShopifyHttpError(response.status, `Shopify answered HTTP ${response.status}`);
      }

      let payload: GraphQLResponseBody<T>;
      try {
        payload = (await response.json()) as GraphQLResponseBody<T>;
      } catch {
        throw new ShopifyHttpError(response.status, 'Shopify answered with a body that is not JSON');
      }
      const cost = payload.extensions?.cost;
      if (cost?.throttleStatus) {
        bucket = { status: cost.throttleStatus, observedAt: now() };
        requestedCostByDocument.set(query, cost.requestedQueryCost);
      }

      const errors = typeof payload.errors === 'string' ? [{ message: payload.errors }] : (payload.errors ?? []);
      if (errors.length > 0) {
        const codes = new Set(errors.map((e) => e.extensions?.code));
        if (codes.has('THROTTLED')) {
          lastFailure = 'THROTTLED';
          if (isLast) throw new ShopifyThrottledError(`Shopify kept throttling after ${attempt} attempts`);
          const status = cost?.throttleStatus;
          const waitMs =
            status && status.restoreRate > 0
              ? (Math.max(0, cost.requestedQueryCost - status.currentlyAvailable) / status.restoreRate) * 1000 +
                random() * 250
              : backoffMs(attempt);
          await retryAfter(attempt, waitMs, lastFailure);
          continue;
        }
        if (codes.has('INTERNAL_SERVER_ERROR')) {
          lastFailure = 'INTERNAL_SERVER_ERROR';
          if (isLast) throw new ShopifyGraphQLError(errors, true);
          await retryAfter(attempt, backoffMs(attempt), lastFailure);
          continue;
        }
        if (codes.has('ACCESS_DENIED')) throw new ShopifyAccessDeniedError(errors);
        if (codes.has('MAX_COST_EXCEEDED')) throw new ShopifyQueryCostError(errors);
        throw new ShopifyGraphQLError(errors);
      }
      if (payload.data === undefined || payload.data === null) {
        throw new ShopifyGraphQLError([{ message: 'Shopify answered without data' }]);
      }
      return payload.data;
    }
    // Unreachable: the last attempt either returns or throws.
    throw new ShopifyError(`Shopify request failed (${lastFailure})`, true);
  }

  return {
    endpoint,
    apiVersion,
    get throttleStatus() {
      return bucket?.status;
    },
    graphql,
  };
}
