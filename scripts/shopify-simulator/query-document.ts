/**
 * Reading a GraphQL document the way Shopify does: validation against the SDL with Shopify's
 * wording for unknown fields, and the walk over a selection (fields through fragments, the nodes
 * of a connection, argument values) that the bulk rules (bulk-query-rules.ts) and the limits and
 * costs of ordinary queries (query-limits.ts) share.
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
  isListType,
  isNonNullType,
  isObjectType,
  Kind,
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

export type Fragments = Map<string, FragmentDefinitionNode>;

export type FieldVisitor = (field: FieldNode, definition: GraphQLField<unknown, unknown> | undefined) => void;

export function isConnectionType(type: GraphQLNamedType): boolean {
  return isObjectType(type) && type.name.endsWith('Connection');
}

function fieldsOf(type: GraphQLNamedType): Record<string, GraphQLField<unknown, unknown>> {
  return isObjectType(type) || isInterfaceType(type) ? type.getFields() : {};
}

export function isListOutput(type: GraphQLOutputType): boolean {
  return isListType(isNonNullType(type) ? type.ofType : type);
}

/** Visits every field of a selection set, following inline fragments and fragment spreads. */
export function forEachField(
  selectionSet: SelectionSetNode | undefined,
  parentType: GraphQLNamedType,
  schema: GraphQLSchema,
  fragments: Fragments,
  visit: FieldVisitor,
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

/**
 * Visits the node selections of a connection field, in document order: `nodes { … }` and
 * `edges { node { … } }` alike, each with the node type and which of the two it came through.
 */
export function forEachConnectionNode(
  connectionField: FieldNode,
  connectionType: GraphQLNamedType,
  schema: GraphQLSchema,
  fragments: Fragments,
  visit: (selectionSet: SelectionSetNode | undefined, nodeType: GraphQLNamedType, via: 'nodes' | 'edges') => void,
): void {
  forEachField(connectionField.selectionSet, connectionType, schema, fragments, (field, definition) => {
    if (!definition) return;
    const named = getNamedType(definition.type);
    if (field.name.value === 'nodes') visit(field.selectionSet, named, 'nodes');
    if (field.name.value === 'edges') {
      forEachField(field.selectionSet, named, schema, fragments, (edgeField, edgeDefinition) => {
        if (edgeField.name.value === 'node' && edgeDefinition) {
          visit(edgeField.selectionSet, getNamedType(edgeDefinition.type), 'edges');
        }
      });
    }
  });
}

export function fragmentsOf(document: DocumentNode): Fragments {
  const map: Fragments = new Map();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) map.set(definition.name.value, definition);
  }
  return map;
}

export function argumentValue(field: FieldNode, name: string, variables: Record<string, unknown>): unknown {
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
