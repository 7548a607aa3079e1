/**
 * The bulk query rules: bulkOperationRunQuery answers their violations as userErrors, with the
 * texts Shopify uses; a valid bulk query yields its plan (the top-level connection and its search).
 */
import {
  type DocumentNode,
  GraphQLError,
  type GraphQLNamedType,
  type GraphQLSchema,
  getNamedType,
  isInterfaceType,
  isLeafType,
  isObjectType,
  isUnionType,
  Kind,
  type OperationDefinitionNode,
  parse,
  type SelectionSetNode,
} from 'graphql';
import {
  argumentValue,
  forEachConnectionNode,
  forEachField,
  fragmentsOf,
  isConnectionType,
  isListOutput,
  validateDocument,
} from './query-document.ts';

export interface BulkUserError {
  field: string[] | null;
  message: string;
  code: 'INVALID' | 'LIMIT_REACHED' | 'OPERATION_IN_PROGRESS';
}

/** What a valid bulk query asks for: its top-level connection and that connection's search. */
export interface BulkQueryPlan {
  rootField: string;
  search: string | undefined;
}

const invalid = (message: string): BulkUserError => ({ field: ['query'], message, code: 'INVALID' });

/** Checks a bulk query as bulkOperationRunQuery does; returns userErrors or the plan. */
export function analyzeBulkQuery(
  schema: GraphQLSchema,
  source: string,
): { userErrors: BulkUserError[] } | { plan: BulkQueryPlan } {
  if (source.trim() === '')
    return { userErrors: [invalid('Invalid bulk query: syntax error, unexpected end of file')] };
  let document: DocumentNode;
  try {
    document = parse(source);
  } catch (error) {
    const detail = error instanceof GraphQLError ? error.message.replace(/^Syntax Error: /, '') : String(error);
    return { userErrors: [invalid(`Invalid bulk query: syntax error, ${detail}`)] };
  }
  const operations = document.definitions.filter(
    (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
  );
  if (operations.some((operation) => operation.operation !== 'query')) {
    return { userErrors: [invalid('Invalid operation type. Only `query` operations are supported.')] };
  }
  const validationErrors = validateDocument(schema, document);
  if (validationErrors.length > 0) {
    return { userErrors: validationErrors.map((error) => invalid(`Invalid bulk query: ${error.message}`)) };
  }
  const operation = operations[0];
  const queryType = schema.getQueryType();
  if (!operation || !queryType) return { userErrors: [invalid('Invalid bulk query: no query operation')] };

  const fragments = fragmentsOf(document);
  let connectionCount = 0;
  let maxDepth = 0;
  let connectionWithinList = false;
  let topLevelNode = false;
  const selectedViaNodes: string[] = [];
  const nestedWithoutParentId: string[] = [];
  let plan: BulkQueryPlan | undefined;

  /** Walks object selections; `depth` counts enclosing connections, `enclosing` names the nearest one. */
  const walk = (
    selectionSet: SelectionSetNode | undefined,
    type: GraphQLNamedType,
    depth: number,
    insideList: boolean,
    enclosing: string | undefined,
  ) => {
    let selectsId = false;
    const nestedConnections: string[] = [];
    forEachField(selectionSet, type, schema, fragments, (field, definition) => {
      if (!definition) return;
      if (field.name.value === 'id' && !field.alias) selectsId = true;
      const named = getNamedType(definition.type);
      if (isLeafType(named)) return;
      if (isConnectionType(named)) {
        connectionCount++;
        maxDepth = Math.max(maxDepth, depth + 1);
        if (insideList) connectionWithinList = true;
        if (depth > 0) nestedConnections.push(field.name.value);
        forEachConnectionNode(field, named, schema, fragments, (nodeSelection, nodeType, via) => {
          if (via === 'nodes') selectedViaNodes.push(field.name.value);
          else walk(nodeSelection, nodeType, depth + 1, false, field.name.value);
        });
        return;
      }
      if (isObjectType(named) || isInterfaceType(named) || isUnionType(named)) {
        walk(field.selectionSet, named, depth, insideList || isListOutput(definition.type), enclosing);
      }
    });
    if (nestedConnections.length > 0 && !selectsId && enclosing) nestedWithoutParentId.push(enclosing);
  };

  forEachField(operation.selectionSet, queryType, schema, fragments, (field, definition) => {
    if (field.name.value === 'node' || field.name.value === 'nodes') topLevelNode = true;
    if (definition && !plan && isConnectionType(getNamedType(definition.type))) {
      const search = argumentValue(field, 'query', {});
      plan = { rootField: field.name.value, search: typeof search === 'string' ? search : undefined };
    }
  });
  walk(operation.selectionSet, queryType, 0, false, undefined);

  const userErrors: BulkUserError[] = [];
  if (selectedViaNodes.length > 0) {
    userErrors.push(
      invalid(
        "All connection fields in a bulk query must select their contents using 'edges' > 'node', e.g: " +
          `'products { edges { node {'. Selecting via 'nodes' is not supported. Invalid connection fields: '${[...new Set(selectedViaNodes)].join("', '")}'.`,
      ),
    );
  }
  if (topLevelNode) userErrors.push(invalid('Bulk queries cannot contain a top level `node` field.'));
  if (maxDepth > 2) {
    userErrors.push(invalid('Bulk queries cannot contain connections with a nesting depth greater than 2.'));
  }
  if (connectionCount > 5) userErrors.push(invalid('Bulk queries cannot contain more than 5 connections.'));
  if (nestedWithoutParentId.length > 0) {
    userErrors.push(
      invalid(
        "The parent 'node' field for a nested connection must select the 'id' field without an alias and must be of " +
          `'ID' return type. Connection fields without 'id': ${[...new Set(nestedWithoutParentId)].join(', ')}.`,
      ),
    );
  }
  if (connectionWithinList) {
    userErrors.push(
      invalid('Queries that contain a connection field within a list field are not currently supported.'),
    );
  }
  if (connectionCount === 0) userErrors.push(invalid('Bulk queries must contain at least one connection.'));
  if (userErrors.length > 0 || !plan) return { userErrors };
  return { plan };
}
