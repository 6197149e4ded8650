import { SERVED_SUBGRAPHS, defaultSubgraphUrl, subgraphUrlVariable } from '@micropost/router/subgraphs';

/** One process of the system as `npm start` runs it. */
export interface ServiceSpec {
  name: string;
  /** Entry module, relative to the repo root; run with `node --import tsx`. */
  entry: string;
  /** Its HTTP port; `/health` must answer 200 on it. */
  port: number;
  /** Extra environment on top of the shared one. */
  env?: Record<string, string>;
}

/** Every subgraph, then the router in front of them: started in this order, each once the previous is healthy; stopped in reverse. */
export const services: readonly ServiceSpec[] = [
  ...SERVED_SUBGRAPHS.map(({ name, port }) => ({ name, entry: `subgraphs/${name}/src/index.ts`, port })),
  {
    name: 'router',
    entry: 'router/src/index.ts',
    port: 4000,
    env: Object.fromEntries(SERVED_SUBGRAPHS.map(({ name, port }) => [subgraphUrlVariable(name), defaultSubgraphUrl(port)])),
  },
];
