/**
 * What can go wrong talking to the Shopify Admin API, as types a caller can branch on. Every
 * error is classified by HTTP status, `errors[].extensions.code` or `userErrors[].code` — never by
 * message text, which Shopify may reword at any time.
 */
import type { BulkOperation } from './types.ts';

export interface ShopifyGraphQLErrorDetail {
  message: string;
  path?: (string | number)[];
  extensions?: { code?: string; [key: string]: unknown };
}

export interface ShopifyUserErrorDetail {
  field: string[] | null;
  message: string;
  code?: string | null;
}

export class ShopifyError extends Error {
  override name = 'ShopifyError';
  /** Whether trying the same request again later may succeed. */
  readonly retryable: boolean;

  constructor(message: string, retryable: boolean) {
    super(message);
    this.retryable = retryable;
  }
}

/** The request never got an HTTP answer (DNS, connection reset, …), after every retry. */
export class ShopifyNetworkError extends ShopifyError {
  override name = 'ShopifyNetworkError';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, true);
    if (options?.cause !== undefined) this.cause = options.cause;
  }
}

/** A non-2xx answer that is not one of the classified cases below. */
export class ShopifyHttpError extends ShopifyError {
  override name = 'ShopifyHttpError';
  readonly status: number;

  constructor(status: number, message: string) {
    super(message, status === 429 || status >= 500);
    this.status = status;
  }
}

/** 401/403: the access token is missing, wrong or revoked. Retrying cannot help. */
export class ShopifyAuthenticationError extends ShopifyHttpError {
  override name = 'ShopifyAuthenticationError';
}

/** THROTTLED or 429 on every attempt: the cost bucket did not refill within our retry budget. */
export class ShopifyThrottledError extends ShopifyError {
  override name = 'ShopifyThrottledError';

  constructor(message: string) {
    super(message, true);
  }
}

/** GraphQL-level errors (validation, access, cost). `codes` are the `extensions.code` values. */
export class ShopifyGraphQLError extends ShopifyError {
  override name = 'ShopifyGraphQLError';
  readonly errors: ShopifyGraphQLErrorDetail[];
  readonly codes: string[];

  constructor(errors: ShopifyGraphQLErrorDetail[], retryable = false) {
    super(`Shopify GraphQL error: ${errors.map((e) => e.message).join('; ')}`, retryable);
    this.errors = errors;
    this.codes = errors.map((e) => e.extensions?.code).filter((code): code is string => typeof code === 'string');
  }
}

/** `ACCESS_DENIED`: the app lacks a scope the query needs (e.g. read_all_orders). */
export class ShopifyAccessDeniedError extends ShopifyGraphQLError {
  override name = 'ShopifyAccessDeniedError';
}

/** `MAX_COST_EXCEEDED`: the query's requested cost exceeds the single-query maximum. */
export class ShopifyQueryCostError extends ShopifyGraphQLError {
  override name = 'ShopifyQueryCostError';
}

/** A mutation answered with userErrors. */
export class ShopifyUserError extends ShopifyError {
  override name = 'ShopifyUserError';
  readonly userErrors: ShopifyUserErrorDetail[];
  readonly codes: string[];

  constructor(mutation: string, userErrors: ShopifyUserErrorDetail[], retryable = false) {
    super(`${mutation} failed: ${userErrors.map((e) => e.message).join('; ')}`, retryable);
    this.userErrors = userErrors;
    this.codes = userErrors.map((e) => e.code).filter((code): code is string => typeof code === 'string');
  }
}

/** `OPERATION_IN_PROGRESS`: a bulk query already runs; adopt it (`running`) instead of starting another. */
export class BulkOperationInProgressError extends ShopifyUserError {
  override name = 'BulkOperationInProgressError';
  /** The running bulk query operation(s) found right after the refusal (may be empty if it just ended). */
  running: BulkOperation[] = [];

  constructor(userErrors: ShopifyUserErrorDetail[]) {
    super('bulkOperationRunQuery', userErrors, true);
  }
}

/** `LIMIT_REACHED`: too many bulk operations right now; try again later. */
export class BulkOperationLimitReachedError extends ShopifyUserError {
  override name = 'BulkOperationLimitReachedError';

  constructor(userErrors: ShopifyUserErrorDetail[]) {
    super('bulkOperationRunQuery', userErrors, true);
  }
}

/** `INVALID`: Shopify refused the bulk query itself (unknown field, too many connections, …). */
export class BulkQueryInvalidError extends ShopifyUserError {
  override name = 'BulkQueryInvalidError';

  constructor(userErrors: ShopifyUserErrorDetail[]) {
    super('bulkOperationRunQuery', userErrors, false);
  }
}
