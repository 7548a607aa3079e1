/**
 * What an ordinary (non-bulk) query may ask and what it costs, by Shopify's rules:
 * - connections take first or last, at most 250;
 * - the requested cost (objects 1, connections 2 + size × node, scalars 0, mutations 10), and the
 *   cost actually used, by the same rules with the answer's sizes.
 */
import {
  type DocumentNode,
  GraphQLError,
  type GraphQLNamedType,
  type GraphQLSchema,
  getNamedType,
  isLeafType,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import {
  argumentValue,
  forEachConnectionNode,
  forEachField,
  fragmentsOf,
  isConnectionType,
  isListOutput,
} from './query-document.ts';

export const MAX_PAGE_SIZE = 250;

/** Connection arguments an ordinary (non-bulk) query must respect; returns Shopify-style errors. */
export function checkConnectionArguments(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown>,
): GraphQLError[] {
  const errors: GraphQLError[] = [];
  const fragments = fragmentsOf(document);
  const root = operation.operation === 'mutation' ? schema.getMutationType() : schema.getQueryType();
  const walk = (selectionSet: SelectionSetNode | undefined, type: GraphQLNamedType) => {
    forEachField(selectionSet, type, schema, fragments, (field, definition) => {
      if (!definition) return;
      const named = getNamedType(definition.type);
      if (isConnectionType(named)) {
        const first = argumentValue(field, 'first', variables);
        const last = argumentValue(field, 'last', variables);
        if (first == null && last == null) {
          errors.push(
            new GraphQLError('you must provide one of first or last', {
              nodes: field,
              extensions: { code: 'argumentLiteralsIncompatible' },
            }),
          );
        }
        for (const size of [first, last]) {
          if (typeof size === 'number' && (size < 0 || size > MAX_PAGE_SIZE)) {
            errors.push(
              new GraphQLError(`The page size of '${field.name.value}' must be between 0 and ${MAX_PAGE_SIZE}`, {
                nodes: field,
                extensions: { code: 'argumentLiteralsIncompatible' },
              }),
            );
          }
        }
      }
      if (!isLeafType(named)) walk(field.selectionSet, named);
    });
  };
  if (root) walk(operation.selectionSet, root);
  return errors;
}

/** The cost Shopify would request for this operation, before running it. */
export function requestedQueryCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown>,
): number {
  if (operation.operation === 'mutation') return 10;
  const fragments = fragmentsOf(document);
  const costOf = (selectionSet: SelectionSetNode | undefined, type: GraphQLNamedType): number => {
    let total = 0;
    forEachField(selectionSet, type, schema, fragments, (field, definition) => {
      if (!definition) return;
      const named = getNamedType(definition.type);
      if (isLeafType(named)) return;
      if (isConnectionType(named)) {
        const size = Number(argumentValue(field, 'first', variables) ?? argumentValue(field, 'last', variables) ?? 1);
        let nodeCost = 0;
        forEachConnectionNode(field, named, schema, fragments, (nodeSelection, nodeType) => {
          nodeCost += 1 + costOf(nodeSelection, nodeType);
        });
        total += 2 + size * nodeCost;
        return;
      }
      const ids = argumentValue(field, 'ids', variables);
      const first = argumentValue(field, 'first', variables);
      const size = Array.isArray(ids)
        ? ids.length
        : isListOutput(definition.type) && typeof first === 'number'
          ? first
          : 1;
      total += size * (1 + costOf(field.selectionSet, named));
    });
    return total;
  };
  const root = schema.getQueryType();
  return root ? Math.max(1, costOf(operation.selectionSet, root)) : 1;
}

/**
 * The cost actually used, by the rules of the requested cost with the sizes of the answer: a
 * connection costs 2 + its returned nodes, a list its returned objects, a null object nothing;
 * never more than requested (Shopify refunds the difference).
 */
export function actualQueryCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  data: unknown,
  requested: number,
): number {
  if (operation.operation === 'mutation') return 10;
  const fragments = fragmentsOf(document);
  const objectCost = (selectionSet: SelectionSetNode | undefined, type: GraphQLNamedType, value: unknown): number => {
    if (!value || typeof value !== 'object') return 0;
    return 1 + costOf(selectionSet, type, value as Record<string, unknown>);
  };
  const costOf = (
    selectionSet: SelectionSetNode | undefined,
    type: GraphQLNamedType,
    value: Record<string, unknown>,
  ): number => {
    let total = 0;
    forEachField(selectionSet, type, schema, fragments, (field, definition) => {
      if (!definition) return;
      const named = getNamedType(definition.type);
      if (isLeafType(named)) return;
      const answer = value[field.alias?.value ?? field.name.value];
      if (answer === null || answer === undefined) return;
      if (isConnectionType(named)) {
        total += 2;
        const connection = answer as { nodes?: unknown[]; edges?: { node?: unknown }[] };
        forEachConnectionNode(field, named, schema, fragments, (nodeSelection, nodeType, via) => {
          const nodes = via === 'nodes' ? (connection.nodes ?? []) : (connection.edges ?? []).map((edge) => edge?.node);
          for (const node of nodes) total += objectCost(nodeSelection, nodeType, node);
        });
        return;
      }
      for (const item of Array.isArray(answer) ? answer : [answer])
        total += objectCost(field.selectionSet, named, item);
    });
    return total;
  };
  const root = schema.getQueryType();
  const actual =
    root && data && typeof data === 'object'
      ? costOf(operation.selectionSet, root, data as Record<string, unknown>)
      : 0;
  return Math.min(requested, Math.max(1, actual));
}
