/**
 * The Admin GraphQL endpoint: authentication, HTTP-level faults, validation, the cost bucket
 * (Shopify charges the requested cost up front and refunds down to the actual cost), and the
 * resolvers of the queries and mutations schema.graphql declares.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type DocumentNode, execute, GraphQLError, Kind, type OperationDefinitionNode, parse } from 'graphql';
import { bulkOperationView, cancelBulkOperation, PARENT_ID, runBulkQuery } from './bulk-operations.ts';
import { parseJson, readBody, sendJson } from './http.ts';
import { validateDocument } from './query-document.ts';
import { actualQueryCost, checkConnectionArguments, requestedQueryCost } from './query-limits.ts';
import { SIMULATOR_SCHEMA as schema } from './schema.ts';
import { searchPredicate } from './search-query.ts';
import { record, type SimulatorState } from './state.ts';

/** Shopify's limit on a single query's requested cost. */
export const MAX_QUERY_COST = 1000;

/** Answers POST /admin/api/{version}/graphql.json against this state. */
export function createGraphQLEndpoint(
  state: SimulatorState,
): (request: IncomingMessage, response: ServerResponse, path: string) => Promise<void> {
  const rootValue = rootValueFor(state);
  return (request, response, path) => handleGraphQL(state, rootValue, request, response, path);
}

// ---------------------------------------------------------------- cursors and connections

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

// ---------------------------------------------------------------- queries and mutations

async function refunds(state: SimulatorState): Promise<Map<string, Record<string, unknown>[]>> {
  state.refundIndex ??= (async () => {
    const byOrder = new Map<string, Record<string, unknown>[]>();
    const source = state.store;
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
  return state.refundIndex;
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

async function orderView(state: SimulatorState, id: string) {
  const index = await refunds(state);
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

async function nodeById(state: SimulatorState, id: string) {
  const type = /^gid:\/\/shopify\/(\w+)\//.exec(id)?.[1];
  if (type === 'Order') return orderView(state, id);
  if (type === 'Refund') {
    for (const list of (await refunds(state)).values()) {
      const refund = list.find((candidate) => candidate.id === id);
      if (refund) return refundView(refund);
    }
    return null;
  }
  if (type === 'BulkOperation') {
    const op = state.operations.find((candidate) => candidate.id === id);
    return op ? bulkOperationView(state, op) : null;
  }
  return null;
}

async function deletionEvents(state: SimulatorState) {
  const events = [];
  let index = 0;
  for await (const line of state.store.lines('deletions')) {
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

function rootValueFor(state: SimulatorState) {
  return {
    shop: () => ({
      __typename: 'Shop',
      id: 'gid://shopify/Shop/1',
      ...state.store.shop,
      timezoneAbbreviation: state.store.shop.ianaTimezone,
      email: `owner@${state.store.shop.myshopifyDomain}`,
    }),
    node: ({ id }: { id: string }) => nodeById(state, id),
    nodes: ({ ids }: { ids: string[] }) => Promise.all(ids.map((id) => nodeById(state, id))),
    order: ({ id }: { id: string }) => orderView(state, id),
    product: unsupported('products'),
    products: unsupported('products'),
    orders: unsupported('orders'),
    collections: unsupported('collections'),
    bulkOperation: ({ id }: { id: string }) => {
      const op = state.operations.find((candidate) => candidate.id === id);
      return op ? bulkOperationView(state, op) : null;
    },
    currentBulkOperation: () => {
      const op = state.operations.at(-1);
      return op ? bulkOperationView(state, op) : null;
    },
    bulkOperations: (args: PageArgs & { query?: string; sortKey?: string; reverse?: boolean }) => {
      const matches = searchPredicate(args.query);
      const views = state.operations
        .map((op) => bulkOperationView(state, op))
        .filter((v) =>
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
      const events = (await deletionEvents(state)).filter((event) =>
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
    bulkOperationRunQuery: ({ query }: { query: string }) => runBulkQuery(state, query),
    bulkOperationCancel: ({ id }: { id: string }) => cancelBulkOperation(state, id),
  };
}

// ---------------------------------------------------------------- the endpoint and its cost

function refillBucket(state: SimulatorState): void {
  const at = state.now();
  state.bucket = {
    available: Math.min(
      state.config.bucket.maximumAvailable,
      state.bucket.available + ((at - state.bucket.updatedAt) / 1000) * state.config.bucket.restoreRate,
    ),
    updatedAt: at,
  };
}

function throttleStatus(state: SimulatorState) {
  return {
    maximumAvailable: state.config.bucket.maximumAvailable,
    currentlyAvailable: Math.floor(state.bucket.available),
    restoreRate: state.config.bucket.restoreRate,
  };
}

async function handleGraphQL(
  state: SimulatorState,
  rootValue: ReturnType<typeof rootValueFor>,
  request: IncomingMessage,
  response: ServerResponse,
  path: string,
): Promise<void> {
  const token = request.headers['x-shopify-access-token'];
  if (token !== state.accessToken) {
    record(state, { kind: 'graphql', path, status: 401, outcome: 'unauthorized' });
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

  if (state.faults.httpErrors.times > 0) {
    state.faults.httpErrors.times--;
    const status = state.faults.httpErrors.status;
    record(state, { ...base, status, outcome: `http-${status}`, faults: ['httpErrors'] });
    sendJson(response, status, { errors: 'Internal Server Error' });
    return;
  }
  if (state.faults.rateLimited.times > 0) {
    state.faults.rateLimited.times--;
    record(state, { ...base, status: 429, outcome: 'rate-limited', faults: ['rateLimited'] });
    sendJson(
      response,
      429,
      { errors: 'Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service.' },
      { 'Retry-After': String(state.faults.rateLimited.retryAfterSeconds) },
    );
    return;
  }
  if (!query) {
    record(state, { ...base, status: 400, outcome: 'invalid' });
    sendJson(response, 400, { errors: { query: 'Required parameter missing or invalid' } });
    return;
  }

  let document: DocumentNode;
  try {
    document = parse(query);
  } catch (error) {
    const message = error instanceof GraphQLError ? error.message : String(error);
    record(state, { ...base, status: 200, outcome: 'invalid' });
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
    record(state, { ...base, operationName, status: 200, outcome: 'invalid' });
    sendJson(response, 200, { errors: errors.length > 0 ? errors : [{ message: 'No operation to run' }] });
    return;
  }

  const requested = requestedQueryCost(schema, document, operation, variables);
  refillBucket(state);
  if (requested > MAX_QUERY_COST) {
    state.totals.maxCostExceeded++;
    record(state, { ...base, operationName, status: 200, outcome: 'max-cost-exceeded', requestedQueryCost: requested });
    sendJson(response, 200, {
      errors: [
        {
          message: `Query cost is ${requested}, which exceeds the single query max cost limit (${MAX_QUERY_COST}).`,
          extensions: { code: 'MAX_COST_EXCEEDED', cost: requested, maxCost: MAX_QUERY_COST },
        },
      ],
      extensions: {
        cost: { requestedQueryCost: requested, actualQueryCost: null, throttleStatus: throttleStatus(state) },
      },
    });
    return;
  }
  const forced = state.faults.throttle > 0;
  if (forced || state.bucket.available < requested) {
    if (forced) state.faults.throttle--;
    const status = throttleStatus(state);
    if (forced)
      status.currentlyAvailable = Math.min(status.currentlyAvailable, Math.max(0, requested - status.restoreRate));
    state.totals.throttled++;
    record(state, {
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
  state.bucket.available -= requested;
  const result = await execute({
    schema,
    document,
    rootValue,
    variableValues: variables,
    operationName,
  });
  const actual = actualQueryCost(schema, document, operation, result.data, requested);
  refillBucket(state);
  state.bucket.available = Math.min(state.config.bucket.maximumAvailable, state.bucket.available + requested - actual);
  state.totals.queries++;
  state.totals.requestedQueryCost += requested;
  state.totals.actualQueryCost += actual;
  record(state, {
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
      cost: { requestedQueryCost: requested, actualQueryCost: actual, throttleStatus: throttleStatus(state) },
    },
  });
}
