import { readFileSync } from 'node:fs';
import { parse } from 'graphql';
import { defineSubgraph } from '@micropost/server';
import { createFollowsContext } from './context.ts';
import { counterReconciler } from './counter-reconciler.ts';
import { userRegistrations } from './events.ts';
import { FollowStore } from './follow-store.ts';
import { resolvers } from './resolvers.ts';
import { UserDirectory } from './user-directory.ts';

/** The follow graph: follower/following lists and counts, `viewerFollows`, follow/unfollow. */
export const followsSubgraph = defineSubgraph({
  name: 'follows',
  typeDefs: parse(readFileSync(new URL('../schema.graphql', import.meta.url), 'utf8')),
  env: {},
  shardKeys: { ...FollowStore.shardKeys, ...UserDirectory.shardKeys },
  async setup({ db, outbox, logger }) {
    const store = await FollowStore.open(db, outbox.notify);
    const directory = await UserDirectory.open(db);
    return {
      resolvers,
      createContext: (request) => createFollowsContext(request, store, directory),
      outboxCollections: [store.follows],
      consumers: [userRegistrations(directory)],
      background: [counterReconciler(store, logger.child({ component: 'counter-reconciler' }))],
    };
  },
});

/** The default export is what the app loads for this package's entry in subgraphs/registry.ts. */
export default followsSubgraph;
