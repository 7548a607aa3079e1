/**
 * How the simulator judges a GraphQL document the way Shopify does:
 * - validation against the SDL with Shopify's wording for unknown fields;
 * - the bulk query rules (bulkOperationRunQuery answers their violations as userErrors, with the
 *   texts Shopify uses);
 * - the connection rules of ordinary queries (first or last, at most 250);
 * - the requested cost of a query (Shopify's model: objects 1, connections 2 + size × node,
 *   scalars 0, mutations 10), and the cost actually used, by the same rules with the answer's sizes.
 */
import {
  type ASTVisitor,
  type DocumentNode,
  type FieldNode,
  FieldsOnCorrectTypeRule,
  type FragmentDefinitionNode,
  GraphQLError,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLOutputType,
  type GraphQLSchema,
  getNamedType,
  isInterfaceType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  isUnionType,
  Kind,
  type OperationDefinitionNode,
  parse,
  type SelectionSetNode,
  specifiedRules,
  type ValidationContext,
  type ValueNode,
  validate,
} from 'graphql';

/** Shopify (graphql-ruby) words an unknown field differently from graphql-js. */
function shopifyFieldsOnCorrectTypeRule(context: ValidationContext): ASTVisitor {
  return {
    Field(node) {
      const parent = context.getParentType();
      if (parent && !context.getFieldDef() && node.name.value !== '__typename') {
        context.reportError(
          new GraphQLError(`Field '${node.name.value}' doesn't exist on type '${parent.name}'`, {
            nodes: node,
            extensions: { code: 'undefinedField', typeName: parent.name, fieldName: node.name.value },
          }),
        );
      }
    },
  };
}

export const VALIDATION_RULES = [
  ...specifiedRules.filter((rule) => rule !== FieldsOnCorrectTypeRule),
  shopifyFieldsOnCorrectTypeRule,
];

export function validateDocument(schema: GraphQLSchema, document: DocumentNode): readonly GraphQLError[] {
  return validate(schema, document, VALIDATION_RULES);
}

function isConnectionType(type: GraphQLNamedType): boolean {
  return isObjectType(type) && type.name.endsWith('Connection');
}

function fieldsOf(type: GraphQLNamedType): Record<string, GraphQLField<unknown, unknown>> {
  return isObjectType(type) || isInterfaceType(type) ? type.getFields() : {};
}

function isListOutput(type: GraphQLOutputType): boolean {
  return isListType(isNonNullType(type) ? type.ofType : type);
}

/** Visits every field of a selection set, following inline fragments and fragment spreads. */
function forEachField(
  selectionSet: SelectionSetNode | undefined,
  parentType: GraphQLNamedType,
  schema: GraphQLSchema,
  fragments: Map<string, FragmentDefinitionNode>,
  visit: (field: FieldNode, definition: GraphQLField<unknown, unknown> | undefined) => void,
): void {
  for (const selection of selectionSet?.selections ?? []) {
    if (selection.kind === Kind.FIELD) {
      visit(selection, fieldsOf(parentType)[selection.name.value]);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      const typeName = selection.typeCondition?.name.value;
      const type = typeName ? schema.getType(typeName) : parentType;
      if (type) forEachField(selection.selectionSet, type, schema, fragments, visit);
    } else {
      const fragment = fragments.get(selection.name.value);
      const type = fragment && schema.getType(fragment.typeCondition.name.value);
      if (fragment && type) forEachField(fragment.selectionSet, type, schema, fragments, visit);
    }
  }
}

function fragmentsOf(document: DocumentNode): Map<string, FragmentDefinitionNode> {
  const map = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) map.set(definition.name.value, definition);
  }
  return map;
}

function argumentValue(field: FieldNode, name: string, variables: Record<string, unknown>): unknown {
  const argument = field.arguments?.find((a) => a.name.value === name);
  return argument ? literalValue(argument.value, variables) : undefined;
}

function literalValue(node: ValueNode, variables: Record<string, unknown>): unknown {
  switch (node.kind) {
    case Kind.VARIABLE:
      return variables[node.name.value];
    case Kind.INT:
    case Kind.FLOAT:
      return Number(node.value);
    case Kind.STRING:
    case Kind.ENUM:
      return node.value;
    case Kind.BOOLEAN:
      return node.value;
    case Kind.NULL:
      return null;
    case Kind.LIST:
      return node.values.map((value) => literalValue(value, variables));
    case Kind.OBJECT:
      return Object.fromEntries(node.fields.map((f) => [f.name.value, literalValue(f.value, variables)]));
  }
}

// ------------------------------------------------------------------------------------ bulk

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
        forEachField(field.selectionSet, named, schema, fragments, (connectionField, connectionDefinition) => {
          if (!connectionDefinition) return;
          if (connectionField.name.value === 'nodes') selectedViaNodes.push(field.name.value);
          if (connectionField.name.value === 'edges') {
            const edgeType = getNamedType(connectionDefinition.type);
            forEachField(connectionField.selectionSet, edgeType, schema, fragments, (edgeField, edgeDefinition) => {
              if (edgeField.name.value === 'node' && edgeDefinition) {
                walk(edgeField.selectionSet, getNamedType(edgeDefinition.type), depth + 1, false, field.name.value);
              }
            });
          }
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

// ------------------------------------------------------------------------------------ ordinary queries

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
        forEachField(field.selectionSet, named, schema, fragments, (connectionField, connectionDefinition) => {
          if (!connectionDefinition) return;
          const connectionNamed = getNamedType(connectionDefinition.type);
          if (connectionField.name.value === 'nodes')
            nodeCost += 1 + costOf(connectionField.selectionSet, connectionNamed);
          if (connectionField.name.value === 'edges') {
            forEachField(
              connectionField.selectionSet,
              connectionNamed,
              schema,
              fragments,
              (edgeField, edgeDefinition) => {
                if (edgeField.name.value === 'node' && edgeDefinition) {
                  nodeCost += 1 + costOf(edgeField.selectionSet, getNamedType(edgeDefinition.type));
                }
              },
            );
          }
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
        forEachField(field.selectionSet, named, schema, fragments, (connectionField, connectionDefinition) => {
          if (!connectionDefinition) return;
          const connectionNamed = getNamedType(connectionDefinition.type);
          if (connectionField.name.value === 'nodes') {
            for (const node of connection.nodes ?? [])
              total += objectCost(connectionField.selectionSet, connectionNamed, node);
          }
          if (connectionField.name.value === 'edges') {
            forEachField(
              connectionField.selectionSet,
              connectionNamed,
              schema,
              fragments,
              (edgeField, edgeDefinition) => {
                if (edgeField.name.value !== 'node' || !edgeDefinition) return;
                const nodeType = getNamedType(edgeDefinition.type);
                for (const edge of connection.edges ?? [])
                  total += objectCost(edgeField.selectionSet, nodeType, edge?.node);
              },
            );
          }
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
