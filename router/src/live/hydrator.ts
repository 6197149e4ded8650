import { createHash } from 'node:crypto';
import DataLoader from 'dataloader';
import {
  Kind,
  print,
  visit,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLResolveInfo,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql';
import type { Identity } from '@micropost/auth';
import type { Logger } from '@micropost/logger';

/** The root query fields that fetch one entity by id. */
export type EntityRoot = 'post' | 'user';

/** Runs a query through the in-process gateway as `viewer` (null: signed out). */
export type GatewayExecutor = (
  query: string,
  variables: Record<string, unknown>,
  viewer: Identity | null,
) => Promise<{ data?: Record<string, unknown> | null; errors?: readonly unknown[] }>;

/** Objects that came back from the gateway: their keys are response keys (aliases), not field names. */
const hydrated = new WeakSet<object>();

/**
 * The subscription schema's default field resolver: hydrated entities are keyed by the
 * subscriber's response keys, so read those; anything else is read by field name.
 */
export function readHydratedField(
  source: unknown,
  _args: unknown,
  _context: unknown,
  info: GraphQLResolveInfo,
): unknown {
  if (source === null || typeof source !== 'object') return undefined;
  const record = source as Record<string, unknown>;
  return hydrated.has(source) ? record[canonicalKey(info.fieldNodes[0]!, info.variableValues)] : record[info.fieldName];
}

/** Canonical response keys by field node, then by variables (printing them once per subscription). */
const canonicalKeys = new WeakMap<FieldNode, Map<string, string>>();

/**
 * The response key a field is fetched under for hydration, whatever the subscriber aliased it to:
 * its name, or its name and a digest of its arguments (variables written in). Subscribers that
 * spell one selection with different aliases thus share one fetch: the cost per event does not
 * grow with alias spellings.
 */
function canonicalKey(node: FieldNode, variables: Record<string, unknown>): string {
  if (!node.arguments?.length) return node.name.value;
  const byVariables = canonicalKeys.get(node) ?? new Map<string, string>();
  canonicalKeys.set(node, byVariables);
  const variablesKey = JSON.stringify(variables);
  let key = byVariables.get(variablesKey);
  if (key === undefined) {
    const args = node.arguments?.length
      ? print(
          inlineVariables(
            {
              kind: Kind.SELECTION_SET,
              selections: [{ ...node, alias: undefined, selectionSet: undefined, directives: [] }],
            },
            variables,
          ),
        )
      : '';
    key = args ? `${node.name.value}_${createHash('sha256').update(args).digest('hex').slice(0, 16)}` : node.name.value;
    byVariables.set(variablesKey, key);
  }
  return key;
}

/** Every field of `node` under its canonical response key (see canonicalKey). */
function canonicalAliases<T extends SelectionSetNode | FragmentDefinitionNode>(
  node: T,
  variables: Record<string, unknown>,
): T {
  return visit(node, {
    Field: (field) => {
      const key = canonicalKey(field, variables);
      return { ...field, alias: key === field.name.value ? undefined : { kind: Kind.NAME, value: key } };
    },
  }) as T;
}

function markHydrated(value: unknown): void {
  if (value === null || typeof value !== 'object' || hydrated.has(value)) return;
  hydrated.add(value);
  for (const child of Object.values(value)) markHydrated(child);
}

/** A JSON value as a GraphQL literal (the API has no enum arguments, so strings stay strings). */
function literal(value: unknown): ValueNode {
  if (value === null || value === undefined) return { kind: Kind.NULL };
  if (typeof value === 'boolean') return { kind: Kind.BOOLEAN, value };
  if (typeof value === 'number')
    return Number.isInteger(value)
      ? { kind: Kind.INT, value: String(value) }
      : { kind: Kind.FLOAT, value: String(value) };
  if (Array.isArray(value)) return { kind: Kind.LIST, values: value.map(literal) };
  if (typeof value === 'object') {
    return {
      kind: Kind.OBJECT,
      fields: Object.entries(value).map(([name, field]) => ({
        kind: Kind.OBJECT_FIELD,
        name: { kind: Kind.NAME, value: name },
        value: literal(field),
      })),
    };
  }
  return { kind: Kind.STRING, value: String(value) };
}

/** The hydration query declares no variables: the subscriber's values are written in place. */
function inlineVariables<T extends SelectionSetNode | FragmentDefinitionNode>(
  node: T,
  variables: Record<string, unknown>,
): T {
  return visit(node, { Variable: (variable) => literal(variables[variable.name.value]) }) as T;
}

interface SelectionDescription {
  readonly selection: string;
  readonly fragments: string;
  readonly personal: boolean;
}

/**
 * Descriptions by the subscription document's field node, then by its variables: a subscription's
 * selection never changes, so each event's resolvers reuse it instead of printing it again per
 * subscriber. Dropped with the document when the subscription ends.
 */
const described = new WeakMap<FieldNode, Map<string, SelectionDescription>>();

function describeSelection(info: GraphQLResolveInfo): SelectionDescription {
  const byVariables = described.get(info.fieldNodes[0]!) ?? new Map<string, SelectionDescription>();
  described.set(info.fieldNodes[0]!, byVariables);
  const variablesKey = JSON.stringify(info.variableValues);
  let description = byVariables.get(variablesKey);
  if (!description) {
    description = printSelection(info);
    byVariables.set(variablesKey, description);
  }
  return description;
}

/** The selection set and every fragment it uses, printed: the cache key and the query text. */
function printSelection(info: GraphQLResolveInfo): SelectionDescription {
  const fieldNode: FieldNode = info.fieldNodes[0]!;
  const used = new Map<string, FragmentDefinitionNode>();
  let personal = false;
  const walk = (set: SelectionSetNode | undefined) => {
    for (const node of set?.selections ?? []) {
      if (node.kind === Kind.FIELD) {
        // viewerHasLiked, viewerFollows: answers that depend on who asks.
        if (node.name.value.startsWith('viewer')) personal = true;
        walk(node.selectionSet);
      } else if (node.kind === Kind.INLINE_FRAGMENT) walk(node.selectionSet);
      else if (!used.has(node.name.value) && info.fragments[node.name.value]) {
        const fragment = info.fragments[node.name.value]!;
        used.set(node.name.value, fragment);
        walk(fragment.selectionSet);
      }
    }
  };
  // Several field nodes can ask for the same field (`post { a } post { b }`): merge their selections.
  const selections = info.fieldNodes.flatMap((node) => node.selectionSet?.selections ?? []);
  const merged: SelectionSetNode = { kind: Kind.SELECTION_SET, selections };
  walk(merged);
  const canonical = <T extends SelectionSetNode | FragmentDefinitionNode>(node: T) =>
    print(inlineVariables(canonicalAliases(node, info.variableValues), info.variableValues));
  return {
    selection: fieldNode.selectionSet ? canonical(merged) : '',
    fragments: [...used.values()].map(canonical).join('\n'),
    personal,
  };
}

/**
 * Hydrates the entities one domain event names, for every subscriber it reaches. Subscribers that
 * select the same fields share one fetch; selections with viewer-dependent fields are fetched per
 * viewer; and all ids of one kind, selection and viewer go to the gateway as ONE aliased query.
 * A scope lives for one event, so nothing is served stale to the next.
 */
export class HydrationScope {
  readonly #loaders = new Map<string, DataLoader<string, unknown>>();

  constructor(
    private readonly execute: GatewayExecutor,
    private readonly logger: Logger,
  ) {}

  load(root: EntityRoot, id: string, info: GraphQLResolveInfo, viewer: Identity | null): Promise<unknown> {
    const { selection, fragments, personal } = describeSelection(info);
    const asViewer = personal ? viewer : null;
    const key = `${root}\u0000${asViewer?.userId ?? ''}\u0000${selection}\u0000${fragments}`;
    let loader = this.#loaders.get(key);
    if (!loader) {
      loader = new DataLoader((ids) => this.#fetch(root, ids, selection, fragments, asViewer));
      this.#loaders.set(key, loader);
    }
    return loader.load(id);
  }

  async #fetch(
    root: EntityRoot,
    ids: readonly string[],
    selection: string,
    fragments: string,
    viewer: Identity | null,
  ): Promise<unknown[]> {
    const variables = Object.fromEntries(ids.map((id, i) => [`id${i}`, id]));
    const query = `query Hydrate${root}(${ids.map((_, i) => `$id${i}: ID!`).join(', ')}) {\n${ids
      .map((_, i) => `  e${i}: ${root}(id: $id${i}) ${selection}`)
      .join('\n')}\n}\n${fragments}`;
    const result = await this.execute(query, variables, viewer);
    if (result.errors?.length) this.logger.warn({ root, ids, errors: result.errors }, 'hydration returned errors');
    return ids.map((_, i) => {
      const entity = result.data?.[`e${i}`] ?? null;
      markHydrated(entity);
      return entity;
    });
  }
}
