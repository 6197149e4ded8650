/** Every subgraph of the graph, with the URL it listens on by default (`npm start`'s server A). */
export const SUBGRAPHS = [
  { name: 'users', port: 4101 },
  { name: 'posts', port: 4102 },
  { name: 'follows', port: 4103 },
  { name: 'feed', port: 4104 },
  { name: 'search', port: 4105 },
] as const satisfies readonly { name: string; port: number }[];

export type SubgraphName = (typeof SUBGRAPHS)[number]['name'];

export const defaultSubgraphUrl = (port: number) => `http://127.0.0.1:${port}/graphql`;

/** Environment variable that points the router at a subgraph, e.g. `USERS_SUBGRAPH_URL`. */
export const subgraphUrlVariable = (name: string) => `${name.toUpperCase()}_SUBGRAPH_URL`;
