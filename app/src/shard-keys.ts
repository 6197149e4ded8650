import type { DatabaseShardKeys } from '@micropost/mongo';
import { ROUTER_SHARD_KEYS } from '@micropost/router';
import type { SubgraphDefinition } from '@micropost/server';

/**
 * Every database a server writes, with its collections' declared shard keys: one per subgraph
 * (`<prefix><subgraph>`, its stores' declarations) and the router's (`<prefix>router`).
 */
export function shardKeyPlan(
  definitions: readonly SubgraphDefinition<any, any>[],
  prefix: string,
): DatabaseShardKeys[] {
  return [
    ...definitions.map((definition) => ({
      database: `${prefix}${definition.name}`,
      collections: definition.shardKeys,
    })),
    { database: `${prefix}router`, collections: ROUTER_SHARD_KEYS },
  ];
}
