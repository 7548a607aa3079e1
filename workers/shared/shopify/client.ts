/**
 * The one Shopify Admin GraphQL client (Workers and Node alike: fetch only): a transport that
 * throttles by cost and retries (graphql-transport.ts), the bulk query lifecycle
 * (bulk-operation-calls.ts) and the reads by ordinary queries (ordinary-reads.ts).
 *
 * `adminApiUrl` replaces https://{shopDomain}/admin/api/{version}/graphql.json (the simulator).
 */
import { bulkOperationCalls } from './bulk-operation-calls.ts';
import { createGraphQLTransport, type GraphQLTransport, type ShopifyClientOptions } from './graphql-transport.ts';
import { ordinaryReads } from './ordinary-reads.ts';
import type { RefundOrder } from './refund-batches.ts';
import type { BulkOperation, ProductDeletion, RefundNode, ShopInfo } from './types.ts';

export * from './errors.ts';
export {
  type GraphQLRequestOptions,
  SHOPIFY_API_VERSION,
  type ShopifyClientOptions,
  type ShopifyGraphQL,
} from './graphql-transport.ts';
export * from './queries.ts';
export * from './refund-batches.ts';
export * from './types.ts';

export interface ShopifyClient extends GraphQLTransport {
  /** Starts a bulk query (groupObjects: false). Throws BulkOperationInProgressError (with `running`), … */
  runBulkQuery(query: string): Promise<BulkOperation>;
  getBulkOperation(id: string): Promise<BulkOperation | null>;
  /** Bulk *query* operations that are CREATED or RUNNING, newest first: adopt or cancel them. */
  listRunningBulkOperations(): Promise<BulkOperation[]>;
  cancelBulkOperation(id: string): Promise<BulkOperation>;
  fetchShop(): Promise<ShopInfo>;
  /**
   * The refunds of these orders, each with all its lines, as refunds.jsonl lines in the orders'
   * order. Give each order's refund and line item counts (from the orders export) so the queries
   * ask for just that and carry as many orders as fit under 1 000 requested points; a bare id
   * asks for up to 10 refunds of 20 lines (further lines are paged, further refunds are not).
   */
  fetchRefunds(orders: readonly (RefundOrder | string | number)[]): Promise<RefundNode[]>;
  /** Products destroyed at or after `sinceIso`, oldest first. */
  fetchProductDeletions(sinceIso: string): Promise<ProductDeletion[]>;
}

export function createShopifyClient(options: ShopifyClientOptions): ShopifyClient {
  const transport = createGraphQLTransport(options);
  return {
    endpoint: transport.endpoint,
    apiVersion: transport.apiVersion,
    get throttleStatus() {
      return transport.throttleStatus;
    },
    graphql: transport.graphql,
    ...bulkOperationCalls(transport.graphql),
    ...ordinaryReads(transport.graphql),
  };
}
