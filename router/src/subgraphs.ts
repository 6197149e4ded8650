export interface SubgraphEntry {
  readonly name: string;
  /** Where `npm start`'s server A serves it; null for a schema-only subgraph that no process serves. */
  readonly port: number | null;
}

/** Every subgraph of the graph. */
export const SUBGRAPHS = [
  { name: 'users', port: 4101 },
  { name: 'posts', port: 4102 },
  { name: 'follows', port: 4103 },
  { name: 'feed', port: 4104 },
  { name: 'search', port: 4105 },
  // The Subscription type; the router's subscription service (src/live) executes it.
  { name: 'realtime', port: null },
] as const satisfies readonly SubgraphEntry[];

/** The subgraphs a process serves, each with its own port. */
export const SERVED_SUBGRAPHS = SUBGRAPHS.filter(
  (entry): entry is Extract<(typeof SUBGRAPHS)[number], { port: number }> => entry.port !== null,
);

export const defaultSubgraphUrl = (port: number) => `http://127.0.0.1:${port}/graphql`;

/** The supergraph needs a URL for every subgraph; this one refuses connections, and nothing asks it. */
export const SCHEMA_ONLY_URL = 'http://127.0.0.1:1/schema-only';

/** Environment variable that points the router at a subgraph, e.g. `USERS_SUBGRAPH_URL`. */
export const subgraphUrlVariable = (name: string) => `${name.toUpperCase()}_SUBGRAPH_URL`;
