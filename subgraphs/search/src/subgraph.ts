import { readFileSync } from 'node:fs';
import { parse } from 'graphql';
import { defineSubgraph } from '@micropost/server';
import { createSearchContext } from './context.ts';
import { searchConsumers } from './event-handlers.ts';
import { PostIndex } from './post-index.ts';
import { resolvers } from './resolvers.ts';
import { UserIndex } from './user-index.ts';

/** Search over users and posts, from its own index kept from events. Returns `User`/`Post` references. */
export const searchSubgraph = defineSubgraph({
  name: 'search',
  typeDefs: parse(readFileSync(new URL('../schema.graphql', import.meta.url), 'utf8')),
  env: {},
  shardKeys: { ...PostIndex.shardKeys, ...UserIndex.shardKeys },
  async setup({ db, logger }) {
    const posts = await PostIndex.open(db);
    const users = await UserIndex.open(db);
    return {
      resolvers,
      createContext: (request) => createSearchContext(request, posts, users),
      // Search writes no events of its own.
      outboxCollections: [],
      consumers: searchConsumers(posts, users, logger),
    };
  },
});

/** The default export is what the app loads for this package's entry in subgraphs/registry.ts. */
export default searchSubgraph;
