import { startRouter } from '@micropost/router';
import { subgraphUrlVariable } from '@micropost/router/subgraphs';
import { startSubgraph, type RunningService, type SubgraphDefinition } from '@micropost/server';

/** Anything `startSubgraph` accepts; the graph only needs the name. */
type AnySubgraph = SubgraphDefinition<any, any>;

export interface TestGraph {
  /** The router's /graphql endpoint: where tests talk to the graph, as clients do. */
  readonly url: string;
  readonly subgraphs: Readonly<Record<string, RunningService>>;
  stop(): Promise<void>;
}

/** Starts the given subgraphs and a router in front of them, each on a free loopback port. */
export async function startTestGraph(env: Record<string, string>, definitions: readonly AnySubgraph[]): Promise<TestGraph> {
  const started: RunningService[] = [];
  const stop = async () => {
    for (const service of started.reverse().splice(0)) await service.stop();
  };
  try {
    for (const definition of definitions) started.push(await startSubgraph(definition, { ...env, PORT: '0' }));
    const subgraphUrls = Object.fromEntries(started.map((service) => [subgraphUrlVariable(service.name), service.url]));
    const router = await startRouter({ ...env, ...subgraphUrls, PORT: '0' });
    const subgraphs = Object.fromEntries(started.map((service) => [service.name, service]));
    started.push(router);
    return { url: router.url, subgraphs, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
