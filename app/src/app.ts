import type { SubgraphDefinition } from '@micropost/server';
import { SERVED_SUBGRAPHS } from '../../subgraphs/registry.ts';
import { type RunningGraph, startGraph } from './graph.ts';

/**
 * Every subgraph a server runs (or those named in `only`), loaded from the registry (realtime is
 * schema only: the router executes it). Each package's default export is its definition.
 */
export function loadSubgraphs(only?: readonly string[]): Promise<SubgraphDefinition<any, any>[]> {
  return Promise.all(
    SERVED_SUBGRAPHS.filter((entry) => only === undefined || only.includes(entry.name)).map(async (entry) => {
      const { default: definition } = (await import(entry.module)) as { default?: SubgraphDefinition<any, any> };
      if (definition?.name !== entry.name)
        throw new Error(`${entry.module} does not export the ${entry.name} subgraph as its default export`);
      return definition;
    }),
  );
}

/** A whole Micropost server: servers are identical and stateless, so any number can run side by side. */
export async function startApp(env: Readonly<Record<string, string | undefined>> = process.env): Promise<RunningGraph> {
  return startGraph(env, await loadSubgraphs());
}

export { eventBusFromEnv, type GraphOptions, type RunningGraph, startGraph } from './graph.ts';
export { shardKeyPlan } from './shard-keys.ts';
