/**
 * The bulk query lifecycle over a GraphQL transport: run, poll, list running (to adopt), cancel;
 * userErrors become typed errors by their code.
 */
import {
  BulkOperationInProgressError,
  BulkOperationLimitReachedError,
  BulkQueryInvalidError,
  ShopifyUserError,
  type ShopifyUserErrorDetail,
} from './errors.ts';
import type { ShopifyGraphQL } from './graphql-transport.ts';
import {
  BULK_OPERATION_QUERY,
  BULK_OPERATIONS_QUERY,
  CANCEL_BULK_OPERATION_MUTATION,
  RUN_BULK_QUERY_MUTATION,
} from './queries.ts';
import type { BulkOperation } from './types.ts';

function toBulkOperation(raw: Record<string, unknown>): BulkOperation {
  const count = (value: unknown) => (value === null || value === undefined ? 0 : Number(value));
  return {
    id: String(raw.id),
    status: raw.status as BulkOperation['status'],
    errorCode: (raw.errorCode ?? null) as BulkOperation['errorCode'],
    objectCount: count(raw.objectCount),
    rootObjectCount: count(raw.rootObjectCount),
    fileSize: raw.fileSize === null || raw.fileSize === undefined ? null : Number(raw.fileSize),
    url: (raw.url ?? null) as string | null,
    partialDataUrl: (raw.partialDataUrl ?? null) as string | null,
    createdAt: String(raw.createdAt),
    completedAt: (raw.completedAt ?? null) as string | null,
    query: String(raw.query ?? ''),
    type: (raw.type ?? 'QUERY') as BulkOperation['type'],
  };
}

export function bulkOperationCalls(graphql: ShopifyGraphQL) {
  async function listRunningBulkOperations(): Promise<BulkOperation[]> {
    const data = await graphql<{ bulkOperations: { nodes: Record<string, unknown>[] } }>(BULK_OPERATIONS_QUERY, {
      first: 10,
      query: 'status:running OR status:created',
    });
    return data.bulkOperations.nodes
      .map(toBulkOperation)
      .filter(
        (operation) => operation.type === 'QUERY' && (operation.status === 'RUNNING' || operation.status === 'CREATED'),
      );
  }

  async function runBulkQuery(query: string): Promise<BulkOperation> {
    const data = await graphql<{
      bulkOperationRunQuery: { bulkOperation: Record<string, unknown> | null; userErrors: ShopifyUserErrorDetail[] };
    }>(RUN_BULK_QUERY_MUTATION, { query });
    const { bulkOperation, userErrors } = data.bulkOperationRunQuery;
    if (userErrors.length > 0) {
      const codes = new Set(userErrors.map((e) => e.code));
      if (codes.has('OPERATION_IN_PROGRESS')) {
        const error = new BulkOperationInProgressError(userErrors);
        error.running = await listRunningBulkOperations();
        throw error;
      }
      if (codes.has('LIMIT_REACHED')) throw new BulkOperationLimitReachedError(userErrors);
      if (codes.has('INVALID')) throw new BulkQueryInvalidError(userErrors);
      throw new ShopifyUserError('bulkOperationRunQuery', userErrors);
    }
    if (!bulkOperation)
      throw new ShopifyUserError('bulkOperationRunQuery', [{ field: null, message: 'no bulk operation returned' }]);
    return toBulkOperation(bulkOperation);
  }

  async function getBulkOperation(id: string): Promise<BulkOperation | null> {
    const data = await graphql<{ bulkOperation: Record<string, unknown> | null }>(BULK_OPERATION_QUERY, { id });
    return data.bulkOperation ? toBulkOperation(data.bulkOperation) : null;
  }

  async function cancelBulkOperation(id: string): Promise<BulkOperation> {
    const data = await graphql<{
      bulkOperationCancel: { bulkOperation: Record<string, unknown> | null; userErrors: ShopifyUserErrorDetail[] };
    }>(CANCEL_BULK_OPERATION_MUTATION, { id });
    const { bulkOperation, userErrors } = data.bulkOperationCancel;
    if (userErrors.length > 0 || !bulkOperation) throw new ShopifyUserError('bulkOperationCancel', userErrors);
    return toBulkOperation(bulkOperation);
  }

  return { runBulkQuery, getBulkOperation, listRunningBulkOperations, cancelBulkOperation };
}
