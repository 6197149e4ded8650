import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import {
  GraphQLError,
  Kind,
  getNamedType,
  type ASTVisitor,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLOutputType,
  type ParseOptions,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';
import { ErrorCode } from '@micropost/server';
import { z } from '@micropost/config';

/** What one operation may ask for, checked before it runs (HTTP and every graphql-ws subscribe). */
export interface OperationLimits {
  readonly maxDepth: number;
  readonly maxAliases: number;
  readonly maxTokens: number;
  readonly maxDirectives: number;
  readonly maxCost: number;
}

const limit = z.coerce.number().int().positive();

/**
 * The variables of the limits. Defaults start from graphql-armor's and are raised only where the
 * contract's own queries need it: the deepest real operation (a subscription's post with its
 * author's counters) has depth 6, the bench's heaviest query costs about 200.
 */
export const operationLimitsEnv = {
  /** Deepest field nesting (fragments flattened); 25 levels is abuse. */
  MAX_QUERY_DEPTH: limit.default(10),
  /** Aliases per operation (graphql-armor: 15); 500 aliased searches is abuse. */
  MAX_QUERY_ALIASES: limit.default(30),
  /** Lexical tokens per document (graphql-armor's default), counted while parsing. */
  MAX_QUERY_TOKENS: limit.default(1000),
  /** Directives per operation (graphql-armor's default). */
  MAX_QUERY_DIRECTIVES: limit.default(50),
  /** Cost ceiling, see costLimitRule: three nested `followers(first: 100)` cost about 3 million. */
  MAX_QUERY_COST: limit.default(10_000),
};

export function operationLimitsFrom(env: {
  MAX_QUERY_DEPTH: number;
  MAX_QUERY_ALIASES: number;
  MAX_QUERY_TOKENS: number;
  MAX_QUERY_DIRECTIVES: number;
  MAX_QUERY_COST: number;
}): OperationLimits {
  return {
    maxDepth: env.MAX_QUERY_DEPTH,
    maxAliases: env.MAX_QUERY_ALIASES,
    maxTokens: env.MAX_QUERY_TOKENS,
    maxDirectives: env.MAX_QUERY_DIRECTIVES,
    maxCost: env.MAX_QUERY_COST,
  };
}

/** A refusal by one of the limits: reaches clients as BAD_USER_INPUT (see isOperationLimitError). */
export class OperationLimitError extends GraphQLError {
  constructor(message: string, nodes?: readonly FieldNode[] | FieldNode) {
    super(message, { nodes, extensions: { code: ErrorCode.BAD_USER_INPUT } });
  }
}

/** graphql-js's own token limit (`parse(…, { maxTokens })`), whose error says this. */
const TOKEN_LIMIT_MESSAGE = /^Syntax Error: Document contains more that \d+ tokens/;

/** True for an error raised by one of the limits, however Apollo Server wrapped it. */
export function isOperationLimitError(error: unknown): boolean {
  for (let current = error; current; current = (current as { originalError?: unknown }).originalError) {
    if (current instanceof OperationLimitError) return true;
    if (current instanceof GraphQLError && TOKEN_LIMIT_MESSAGE.test(current.message)) return true;
    if (!(current instanceof Error)) return false;
  }
  return false;
}

/** Options for graphql's parse: the token limit is enforced by the parser before any AST is built. */
export function limitedParseOptions(limits: OperationLimits): ParseOptions {
  return { maxTokens: limits.maxTokens };
}

/**
 * graphql-armor's options for reporting a refusal as a validation error (by default its rules throw
 * out of `validate`, which Apollo Server answers with a 500) that carries one code.
 */
const report = {
  propagateOnRejection: false,
  onReject: [
    (context: ValidationContext | null, error: GraphQLError) =>
      context?.reportError(new OperationLimitError(error.message.replace(/^Syntax Error: /, ''))),
  ],
};

/** The validation rules of the limits (depth, aliases, directives, cost), for Apollo and graphql-ws alike. */
export function operationLimitRules(limits: OperationLimits): ValidationRule[] {
  return [
    maxDepthRule({ n: limits.maxDepth, ignoreIntrospection: true, flattenFragments: true, ...report }),
    maxAliasesRule({ n: limits.maxAliases, ...report }),
    maxDirectivesRule({ n: limits.maxDirectives, ...report }),
    costLimitRule(limits.maxCost),
  ];
}

/** The page size assumed for a `first` given by a variable (validation sees no values): the API's ceiling. */
const MAX_PAGE_SIZE = 100;

/**
 * Cost = the number of fields the operation can resolve: every field counts 1 for each time it can
 * appear in the response, and a field with a `first` argument (every paginated list of the API)
 * multiplies everything below it by `first` (its literal, the argument's default when absent, or
 * the page ceiling when it is a variable). So `followers(first: 100) { edges { node { id } } }` costs
 * 1 + 3 × 100, and each further nested `followers(first: 100)` multiplies by 100 again.
 * graphql-armor's cost limit weighs objects, scalars and depth but ignores list sizes, hence this rule.
 */
export function costLimitRule(maxCost: number): ValidationRule {
  return (context: ValidationContext): ASTVisitor => ({
    OperationDefinition(operation) {
      const rootType = context.getSchema().getRootType(operation.operation);
      if (!rootType) return false;
      const fragments = new Map<string, FragmentDefinitionNode>(
        context
          .getDocument()
          .definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION)
          .map((d) => [d.name.value, d]),
      );
      const cost = selectionCost(operation.selectionSet, rootType, 1, fragments, new Set(), maxCost);
      if (cost > maxCost)
        context.reportError(
          new OperationLimitError(
            `This operation is too expensive: cost ${cost > maxCost * 10 ? `over ${maxCost * 10}` : cost} exceeds the limit of ${maxCost}. Ask for fewer or smaller lists.`,
          ),
        );
      return false;
    },
  });
}

function selectionCost(
  set: SelectionSetNode,
  parentType: GraphQLOutputType,
  multiplier: number,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  visiting: Set<string>,
  maxCost: number,
): number {
  const type = getNamedType(parentType);
  const fields = 'getFields' in type ? (type.getFields() as Record<string, GraphQLField<unknown, unknown>>) : {};
  let cost = 0;
  for (const selection of set.selections) {
    // Stop counting once far past the limit: the answer is already "refused".
    if (cost > maxCost * 10) return cost;
    if (selection.kind === Kind.FIELD) {
      cost += multiplier;
      const field = fields[selection.name.value];
      if (!selection.selectionSet || !field) continue;
      const childMultiplier = multiplier * pageSize(selection, field);
      cost += selectionCost(selection.selectionSet, field.type, childMultiplier, fragments, visiting, maxCost);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      cost += selectionCost(selection.selectionSet, parentType, multiplier, fragments, visiting, maxCost);
    } else {
      const fragment = fragments.get(selection.name.value);
      // A fragment cycle is reported by graphql's own NoFragmentCycles rule.
      if (!fragment || visiting.has(fragment.name.value)) continue;
      visiting.add(fragment.name.value);
      cost += selectionCost(fragment.selectionSet, parentType, multiplier, fragments, visiting, maxCost);
      visiting.delete(fragment.name.value);
    }
  }
  return cost;
}

/**
 * How many items a field can return per parent: its `first`; 1 for any other field (the API's
 * only other lists, a connection's `edges`, are the page `first` already counted).
 */
function pageSize(node: FieldNode, field: GraphQLField<unknown, unknown>): number {
  const definition = field.args.find((arg) => arg.name === 'first');
  if (!definition) return 1;
  const argument = node.arguments?.find((arg) => arg.name.value === 'first');
  if (!argument) return typeof definition.defaultValue === 'number' ? definition.defaultValue : MAX_PAGE_SIZE;
  if (argument.value.kind === Kind.INT) return Math.max(1, Number.parseInt(argument.value.value, 10));
  return MAX_PAGE_SIZE;
}
