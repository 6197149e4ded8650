// How the router reaches the subgraphs of the registry (subgraphs/registry.ts).
export { SERVED_SUBGRAPHS, SUBGRAPHS } from '../../subgraphs/registry.ts';

export const defaultSubgraphUrl = (port: number) => `http://127.0.0.1:${port}/graphql`;

/** The supergraph needs a URL for every subgraph; this one refuses connections, and nothing asks it. */
export const SCHEMA_ONLY_URL = 'http://127.0.0.1:1/schema-only';

/** Environment variable that points the router at a subgraph, e.g. `USERS_SUBGRAPH_URL`. */
export const subgraphUrlVariable = (name: string) => `${name.toUpperCase()}_SUBGRAPH_URL`;
