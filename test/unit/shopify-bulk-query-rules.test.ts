import { Kind, parse, type SelectionSetNode } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeBulkQuery } from '../../scripts/shopify-simulator/bulk-query-rules.ts';
import { validateDocument } from '../../scripts/shopify-simulator/query-document.ts';
import {
  type ShopifySimulator,
  SIMULATOR_SCHEMA,
  startShopifySimulator,
} from '../../scripts/shopify-simulator/server.ts';
import { generateStore } from '../../scripts/store-generator/generate.ts';
import {
  BULK_OPERATION_QUERY,
  BULK_OPERATIONS_QUERY,
  BulkQueryInvalidError,
  CANCEL_BULK_OPERATION_MUTATION,
  createShopifyClient,
  ORDERS_BULK_QUERY,
  orderRefundsQuery,
  ordersBulkQuery,
  PRODUCT_DELETION_EVENTS_QUERY,
  PRODUCTS_BULK_QUERY,
  productsBulkQuery,
  REFUND_LINES_PAGE_QUERY,
  RUN_BULK_QUERY_MUTATION,
  SHOP_QUERY,
  type ShopifyClient,
  ShopifyGraphQLError,
} from '../../workers/shared/shopify/client.ts';

const REJECTED: [name: string, query: string, message: string][] = [
  [
    'a connection inside a list field (refund lines under Order.refunds)',
    '{ orders { edges { node { id refunds { id refundLineItems { edges { node { id quantity } } } } } } } }',
    'Queries that contain a connection field within a list field are not currently supported.',
  ],
  [
    'more than five connections',
    `{ products { edges { node { id
        variants { edges { node { id } } }
        media { edges { node { id } } }
        metafields { edges { node { id } } }
        collections { edges { node { id } } }
        sellingPlanGroups { edges { node { id } } } } } } }`,
    'Bulk queries cannot contain more than 5 connections.',
  ],
  [
    'connections nested three deep',
    '{ collections { edges { node { id products { edges { node { id variants { edges { node { id } } } } } } } } } }',
    'Bulk queries cannot contain connections with a nesting depth greater than 2.',
  ],
  [
    'an unknown field',
    '{ products { edges { node { id inventoryValue } } } }',
    "Invalid bulk query: Field 'inventoryValue' doesn't exist on type 'Product'",
  ],
  [
    "'nodes' instead of 'edges { node }'",
    '{ products { nodes { id title } } }',
    "All connection fields in a bulk query must select their contents using 'edges' > 'node', e.g: 'products { edges { node {'. Selecting via 'nodes' is not supported. Invalid connection fields: 'products'.",
  ],
  [
    'a nested connection whose parent does not select id',
    '{ products { edges { node { title variants { edges { node { id } } } } } } }',
    "The parent 'node' field for a nested connection must select the 'id' field without an alias and must be of 'ID' return type. Connection fields without 'id': products.",
  ],
  ['no connection at all', '{ shop { name } }', 'Bulk queries must contain at least one connection.'],
  [
    'a mutation',
    'mutation { bulkOperationCancel(id: "gid://shopify/BulkOperation/1") { userErrors { message } } }',
    'Invalid operation type. Only `query` operations are supported.',
  ],
  ['an empty query', '   ', 'Invalid bulk query: syntax error, unexpected end of file'],
];

describe('bulk query rules (as bulkOperationRunQuery applies them)', () => {
  it.each(REJECTED)('refuses %s with Shopify’s userError', (_name, query, message) => {
    const result = analyzeBulkQuery(SIMULATOR_SCHEMA, query);
    expect(result).toHaveProperty('userErrors');
    expect('userErrors' in result && result.userErrors).toContainEqual({ field: ['query'], message, code: 'INVALID' });
  });

  it('accepts the ingest’s own bulk queries, with and without an updated_at window', () => {
    for (const query of [
      PRODUCTS_BULK_QUERY,
      ORDERS_BULK_QUERY,
      productsBulkQuery({ updatedAtMin: '2026-11-01T00:00:00Z', updatedAtMax: '2026-11-02T00:00:00.000Z' }),
      ordersBulkQuery({ updatedAtMin: '2026-11-01T00:00:00Z' }),
    ]) {
      expect(analyzeBulkQuery(SIMULATOR_SCHEMA, query)).toHaveProperty('plan');
    }
    expect(analyzeBulkQuery(SIMULATOR_SCHEMA, ordersBulkQuery({ updatedAtMin: '2026-11-01T00:00:00.000Z' }))).toEqual({
      plan: { rootField: 'orders', search: "updated_at:>='2026-11-01T00:00:00Z'" },
    });
  });

  it('refuses a window that is not a timestamp before sending anything', () => {
    expect(() => ordersBulkQuery({ updatedAtMin: 'yesterday' })).toThrow(/ISO timestamp/);
  });
});

describe('the client meets the rules through the simulator', () => {
  let simulator: ShopifySimulator;
  let client: ShopifyClient;
  beforeAll(async () => {
    simulator = await startShopifySimulator({ store: generateStore({ seed: 9, products: 3, orders: 5 }) });
    client = createShopifyClient({
      shopDomain: simulator.shopDomain,
      accessToken: simulator.accessToken,
      adminApiUrl: simulator.adminApiUrl,
      sleep: async () => {},
    });
  });
  afterAll(() => simulator.close());

  it.each(REJECTED)('a bulk query with %s becomes a BulkQueryInvalidError', async (_name, query, message) => {
    const error = await client.runBulkQuery(query).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BulkQueryInvalidError);
    expect((error as BulkQueryInvalidError).codes).toContain('INVALID');
    expect((error as BulkQueryInvalidError).userErrors.map((e) => e.message)).toContain(message);
    expect((error as BulkQueryInvalidError).retryable).toBe(false);
  });

  it('an ordinary query with an unknown field fails validation with Shopify’s wording and code', async () => {
    const error = await client.graphql('{ shop { name planName } }').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ShopifyGraphQLError);
    expect((error as ShopifyGraphQLError).codes).toEqual(['undefinedField']);
    expect((error as ShopifyGraphQLError).errors[0]?.message).toBe("Field 'planName' doesn't exist on type 'Shop'");
  });

  it('an ordinary query must page its connections (first or last, at most 250)', async () => {
    await expect(client.graphql('{ events { nodes { id } } }')).rejects.toThrow(/one of first or last/);
    await expect(client.graphql('{ events(first: 251) { nodes { id } } }')).rejects.toThrow(/between 0 and 250/);
  });
});

/** The fields a selection set asks for, as a tree (inline fragments merged). */
type Shape = { [field: string]: Shape | true };

const ORDER_REFUNDS = orderRefundsQuery([
  { alias: 'r1_l2', refunds: 1, lines: 2 },
  { alias: 'r3_l1', refunds: 3, lines: 1 },
]);

function shapeOf(selectionSet: SelectionSetNode | undefined): Shape {
  const shape: Shape = {};
  for (const selection of selectionSet?.selections ?? []) {
    if (selection.kind === Kind.FIELD) {
      const sub = selection.selectionSet ? shapeOf(selection.selectionSet) : true;
      const existing = shape[selection.name.value];
      shape[selection.name.value] = existing && existing !== true && sub !== true ? { ...existing, ...sub } : sub;
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      for (const [key, value] of Object.entries(shapeOf(selection.selectionSet))) shape[key] = value;
    }
  }
  return shape;
}

function nodeShape(connection: Shape | true | undefined): Shape {
  const edges = (connection as Shape).edges as Shape;
  return edges.node as Shape;
}

/** Every key of the fixture value is asked for by the shape (so Shopify would write it). */
function missingFields(value: unknown, shape: Shape | true, path = ''): string[] {
  if (shape === true || value === null || typeof value !== 'object') return [];
  if (Array.isArray(value)) return value.flatMap((item) => missingFields(item, shape, path));
  return Object.entries(value).flatMap(([key, child]) => {
    if (key === '__parentId') return [];
    const sub = shape[key];
    if (sub === undefined) return [`${path}${key}`];
    return missingFields(child, sub, `${path}${key}.`);
  });
}

describe('the bulk and refund queries select exactly what the fixture format holds', () => {
  const store = generateStore({ seed: 11, products: 20, orders: 60 });
  const lines = (file: string[]) => file.map((line) => JSON.parse(line) as Record<string, unknown>);
  const typeOf = (line: Record<string, unknown>) => String(line.id).split('/')[3];

  it('products, variants and media images', () => {
    const operation = parse(PRODUCTS_BULK_QUERY).definitions[0] as never as { selectionSet: SelectionSetNode };
    const product = nodeShape(shapeOf(operation.selectionSet).products);
    const shapes: Record<string, Shape> = {
      Product: product,
      ProductVariant: nodeShape(product.variants),
      MediaImage: nodeShape(product.media),
    };
    for (const line of lines(store.fixture.products)) {
      const shape = shapes[typeOf(line) ?? ''];
      expect(shape, typeOf(line)).toBeDefined();
      expect(missingFields(line, shape as Shape), typeOf(line)).toEqual([]);
    }
  });

  it('orders and line items', () => {
    const operation = parse(ORDERS_BULK_QUERY).definitions[0] as never as { selectionSet: SelectionSetNode };
    const order = nodeShape(shapeOf(operation.selectionSet).orders);
    const shapes: Record<string, Shape> = { Order: order, LineItem: nodeShape(order.lineItems) };
    for (const line of lines(store.fixture.orders)) {
      expect(missingFields(line, shapes[typeOf(line) ?? ''] as Shape), typeOf(line)).toEqual([]);
    }
  });

  it('refunds (ordinary query; the refund’s order is the node it was asked through)', () => {
    const operation = parse(ORDER_REFUNDS).definitions[0] as never as { selectionSet: SelectionSetNode };
    const refund = {
      ...((shapeOf(operation.selectionSet).nodes as Shape).refunds as Shape),
      order: { id: true as const },
    };
    for (const line of lines(store.fixture.refunds)) expect(missingFields(line, refund)).toEqual([]);
    expect(store.fixture.refunds.length).toBeGreaterThan(0);
  });

  it('and every document the client sends validates against the simulator’s schema', () => {
    for (const document of [
      PRODUCTS_BULK_QUERY,
      ORDERS_BULK_QUERY,
      ORDER_REFUNDS,
      REFUND_LINES_PAGE_QUERY,
      PRODUCT_DELETION_EVENTS_QUERY,
      RUN_BULK_QUERY_MUTATION,
      BULK_OPERATION_QUERY,
      BULK_OPERATIONS_QUERY,
      CANCEL_BULK_OPERATION_MUTATION,
      SHOP_QUERY,
    ]) {
      expect(validateDocument(SIMULATOR_SCHEMA, parse(document)).map((e) => e.message)).toEqual([]);
    }
  });
});
