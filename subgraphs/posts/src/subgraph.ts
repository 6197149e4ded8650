import { readFileSync } from 'node:fs';
import { parse } from 'graphql';
import { defineSubgraph, PeriodicTask } from '@micropost/server';
import { createPostsContext } from './context.ts';
import { LikeStore, RECONCILE_INTERVAL_MS } from './like-store.ts';
import { PostStore } from './post-store.ts';
import { resolvers } from './resolvers.ts';

/** Posts and likes, their counts, and per-author post lists. Owns `Post`; adds `User.posts` and `User.postCount`. */
export const postsSubgraph = defineSubgraph({
  name: 'posts',
  typeDefs: parse(readFileSync(new URL('../schema.graphql', import.meta.url), 'utf8')),
  env: {},
  shardKeys: { ...PostStore.shardKeys, ...LikeStore.shardKeys },
  async setup({ db, outbox, logger }) {
    const posts = await PostStore.open(db, outbox.notify);
    const likes = await LikeStore.open(db, posts, logger);
    return {
      resolvers,
      createContext: (request) => createPostsContext(request, posts, likes),
      outboxCollections: [posts.posts],
      background: [
        new PeriodicTask(
          'like-reconciler',
          RECONCILE_INTERVAL_MS,
          async () => void (await likes.reconcile()),
          logger.child({ component: 'like-reconciler' }),
        ),
      ],
    };
  },
});

/** The default export is what the app loads for this package's entry in subgraphs/registry.ts. */
export default postsSubgraph;
