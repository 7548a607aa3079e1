/**
 * Every GraphQL document the ingest sends to Shopify, in one place. The bulk queries select
 * exactly the fields of the store fixture format (shared/spec/product.md "Fields consumed"); the
 * simulator validates them against its SDL, so a field Shopify does not have fails in tests too.
 *
 * Bulk query rules (Shopify refuses the query otherwise): at most 5 connections, nested at most 2
 * deep, connections selected through `edges { node }`, a nested connection's parent selects `id`,
 * and no connection inside a list field — which is why refund lines come from ordinary queries.
 */

/** An `updated_at` window for incremental syncs; both ends ISO 8601 timestamps. */
export interface UpdatedAtWindow {
  /** Inclusive lower bound (the previous cursor minus a small overlap). */
  updatedAtMin?: string;
  /** Exclusive upper bound (the moment this sync started), so the next window starts exactly here. */
  updatedAtMax?: string;
}

function searchQuery(window: UpdatedAtWindow): string | undefined {
  const terms: string[] = [];
  const timestamp = (value: string) => {
    if (Number.isNaN(Date.parse(value))) throw new RangeError(`not an ISO timestamp: ${JSON.stringify(value)}`);
    return new Date(value).toISOString().replace('.000Z', 'Z');
  };
  if (window.updatedAtMin) terms.push(`updated_at:>='${timestamp(window.updatedAtMin)}'`);
  if (window.updatedAtMax) terms.push(`updated_at:<'${timestamp(window.updatedAtMax)}'`);
  return terms.length > 0 ? terms.join(' AND ') : undefined;
}

function connectionArguments(window: UpdatedAtWindow): string {
  const query = searchQuery(window);
  return query ? `(query: ${JSON.stringify(query)})` : '';
}

const MONEY = 'shopMoney { amount currencyCode }';

/** Products with their variants and media (one JSONL line per product, variant and media). */
export function productsBulkQuery(window: UpdatedAtWindow = {}): string {
  return `{
  products${connectionArguments(window)} {
    edges {
      node {
        id
        title
        handle
        vendor
        productType
        status
        tags
        createdAt
        updatedAt
        publishedAt
        featuredMedia { id }
        variants {
          edges {
            node { id title sku price compareAtPrice inventoryQuantity createdAt updatedAt }
          }
        }
        media {
          edges {
            node {
              id
              alt
              ... on MediaImage { image { id url } }
            }
          }
        }
      }
    }
  }
}`;
}

/** Orders with their line items; refunds as a list of ids (their lines come from fetchRefunds). */
export function ordersBulkQuery(window: UpdatedAtWindow = {}): string {
  return `{
  orders${connectionArguments(window)} {
    edges {
      node {
        id
        name
        processedAt
        createdAt
        updatedAt
        cancelledAt
        test
        currencyCode
        displayFinancialStatus
        displayFulfillmentStatus
        subtotalPriceSet { ${MONEY} }
        totalDiscountsSet { ${MONEY} }
        totalTaxSet { ${MONEY} }
        totalPriceSet { ${MONEY} }
        refunds { id createdAt }
        lineItems {
          edges {
            node {
              id
              title
              sku
              quantity
              product { id }
              variant { id }
              originalUnitPriceSet { ${MONEY} }
              totalDiscountSet { ${MONEY} }
            }
          }
        }
      }
    }
  }
}`;
}

/** The full-sync bulk queries (no window). */
export const PRODUCTS_BULK_QUERY = productsBulkQuery();
export const ORDERS_BULK_QUERY = ordersBulkQuery();

const BULK_OPERATION_FIELDS = `
  id
  status
  errorCode
  objectCount
  rootObjectCount
  fileSize
  url
  partialDataUrl
  createdAt
  completedAt
  query
  type`;

export const RUN_BULK_QUERY_MUTATION = `mutation RunBulkQuery($query: String!) {
  bulkOperationRunQuery(query: $query, groupObjects: false) {
    bulkOperation {${BULK_OPERATION_FIELDS}
    }
    userErrors { field message code }
  }
}`;

export const BULK_OPERATION_QUERY = `query BulkOperation($id: ID!) {
  bulkOperation(id: $id) {${BULK_OPERATION_FIELDS}
  }
}`;

export const BULK_OPERATIONS_QUERY = `query BulkOperations($first: Int!, $query: String) {
  bulkOperations(first: $first, query: $query, sortKey: CREATED_AT, reverse: true) {
    nodes {${BULK_OPERATION_FIELDS}
    }
  }
}`;

export const CANCEL_BULK_OPERATION_MUTATION = `mutation CancelBulkOperation($id: ID!) {
  bulkOperationCancel(id: $id) {
    bulkOperation {${BULK_OPERATION_FIELDS}
    }
    userErrors { field message }
  }
}`;

export const SHOP_QUERY = `query Shop {
  shop { name myshopifyDomain ianaTimezone currencyCode }
}`;

const REFUND_LINE_FIELDS = `id quantity lineItem { id } subtotalSet { ${MONEY} }`;

/** The refunds of up to a batch of orders; each refund's first page of lines inline. */
export const ORDER_REFUNDS_QUERY = `query OrderRefunds($ids: [ID!]!, $linesFirst: Int!) {
  nodes(ids: $ids) {
    ... on Order {
      id
      refunds {
        id
        createdAt
        order { id }
        refundLineItems(first: $linesFirst) {
          pageInfo { hasNextPage endCursor }
          nodes { ${REFUND_LINE_FIELDS} }
        }
      }
    }
  }
}`;

/**
 * The refunds of a batch of orders whose refund counts are known (the orders export lists them):
 * `refunds(first:)` and `refundLineItems(first:)` sized to the batch, so the cost Shopify charges
 * up front is close to what the answer costs (refunds.ts refundsRequestedCost).
 */
export const ORDER_REFUNDS_SHAPED_QUERY = `query OrderRefundsShaped($ids: [ID!]!, $refundsFirst: Int!, $linesFirst: Int!) {
  nodes(ids: $ids) {
    ... on Order {
      id
      refunds(first: $refundsFirst) {
        id
        createdAt
        order { id }
        refundLineItems(first: $linesFirst) {
          pageInfo { hasNextPage endCursor }
          nodes { ${REFUND_LINE_FIELDS} }
        }
      }
    }
  }
}`;

/** Further pages of one refund's lines (rare: a refund with more lines than the first page). */
export const REFUND_LINES_PAGE_QUERY = `query RefundLines($id: ID!, $first: Int!, $after: String) {
  node(id: $id) {
    ... on Refund {
      refundLineItems(first: $first, after: $after) {
        pageInfo { hasNextPage endCursor }
        nodes { ${REFUND_LINE_FIELDS} }
      }
    }
  }
}`;

export const PRODUCT_DELETION_EVENTS_QUERY = `query ProductDeletions($first: Int!, $after: String, $query: String!) {
  events(first: $first, after: $after, query: $query, sortKey: CREATED_AT) {
    pageInfo { hasNextPage endCursor }
    nodes {
      id
      createdAt
      ... on BasicEvent { action subjectId subjectType }
    }
  }
}`;

/** The `events` search for products destroyed at or after `sinceIso`. */
export function productDeletionSearch(sinceIso: string): string {
  if (Number.isNaN(Date.parse(sinceIso))) throw new RangeError(`not an ISO timestamp: ${JSON.stringify(sinceIso)}`);
  const since = new Date(sinceIso).toISOString().replace('.000Z', 'Z');
  return `action:'destroy' AND subject_type:'PRODUCT' AND created_at:>='${since}'`;
}
