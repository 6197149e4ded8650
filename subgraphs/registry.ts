// Every subgraph of the graph, once. The app loads and serves them, `npm run generate` composes the
// supergraph and generates resolver types from this list, and the router learns the subgraphs'
// names from the supergraph. Adding a subgraph = its folder + one entry here.

export interface SubgraphEntry {
  readonly name: string;
  /**
   * The package whose default export is the subgraph's definition (`defineSubgraph`); null for a
   * schema-only subgraph that no process serves.
   */
  readonly module: string | null;
  /** Its default port, written into the supergraph; a server gives every subgraph a free port instead. */
  readonly port: number | null;
  /** graphql-codegen: the resolvers' context type and the stored documents GraphQL types map to. */
  readonly codegen: { readonly context: string; readonly mappers: Readonly<Record<string, string>> } | null;
}

export const SUBGRAPHS = [
  {
    name: 'users',
    module: '@micropost/users',
    port: 4101,
    codegen: { context: 'UsersContext', mappers: { User: '../store.ts#UserDocument' } },
  },
  {
    name: 'posts',
    module: '@micropost/posts',
    port: 4102,
    codegen: {
      context: 'PostsContext',
      mappers: { Post: '../post-store.ts#PostDocument', User: '../context.ts#UserReference' },
    },
  },
  {
    name: 'follows',
    module: '@micropost/follows',
    port: 4103,
    codegen: { context: 'FollowsContext', mappers: { User: '../context.ts#UserReference' } },
  },
  {
    name: 'feed',
    module: '@micropost/feed',
    port: 4104,
    codegen: { context: 'FeedContext', mappers: { Post: '../context.ts#PostReference' } },
  },
  {
    name: 'search',
    module: '@micropost/search',
    port: 4105,
    codegen: {
      context: 'SearchContext',
      mappers: { Post: '../context.ts#PostReference', User: '../context.ts#UserReference' },
    },
  },
  // The Subscription type; the router's subscription service (router/src/live) executes it.
  { name: 'realtime', module: null, port: null, codegen: null },
] as const satisfies readonly SubgraphEntry[];

/** The subgraphs a server runs, each on its own port. */
export const SERVED_SUBGRAPHS = SUBGRAPHS.filter(
  (entry): entry is Extract<(typeof SUBGRAPHS)[number], { module: string }> => entry.module !== null,
);

/** Where a subgraph's schema lives, relative to the repository root. */
export const schemaFile = (entry: SubgraphEntry) => `subgraphs/${entry.name}/schema.graphql`;
