import { requireViewer, type Connection } from '@micropost/server';
import type { Resolvers } from './__generated__/resolvers-types.ts';
import type { PostReference } from './context.ts';
import { encodeFeedCursor, readFeedPage } from './cursor.ts';

export const resolvers: Resolvers = {
  Query: {
    homeFeed: async (_parent, args, context): Promise<Connection<PostReference>> => {
      const viewerId = requireViewer(context, 'Sign in to see your home feed.');
      const page = readFeedPage(args);
      const { timelines } = context;
      const rank = page.after?.rank ?? 0;
      // Never past the cap, even while a timeline holds a few more entries before its next trim.
      const take = Math.min(page.first, timelines.options.cap - rank);
      const entries = take <= 0 ? [] : await timelines.read(viewerId, { after: page.after, limit: take + 1 });
      const edges = entries.slice(0, take).map((entry, index) => ({
        cursor: encodeFeedCursor({ at: entry.createdAt, id: entry.postId, rank: rank + index + 1 }),
        node: { __typename: 'Post' as const, id: entry.postId },
      }));
      return {
        edges,
        pageInfo: {
          endCursor: edges.at(-1)?.cursor ?? null,
          hasNextPage: entries.length > take && rank + take < timelines.options.cap,
        },
      };
    },
  },
};
