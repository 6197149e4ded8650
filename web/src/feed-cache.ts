import type { ApolloCache, Reference } from '@apollo/client';
import type { PostFieldsFragment } from './gql/graphql.ts';
import { HomeFeedQuery } from './operations.ts';

// Live changes to the home feed in Apollo's cache. The connection's merge function
// (apollo.ts) puts a written first-page edge in order and keeps one edge per post.

export function addToHomeFeed(cache: ApolloCache, post: PostFieldsFragment): void {
  cache.updateQuery({ query: HomeFeedQuery, variables: { first: 1 } }, (data) =>
    data
      ? {
          homeFeed: {
            ...data.homeFeed,
            edges: [{ __typename: 'PostEdge' as const, cursor: `live:${post.id}`, node: post }],
          },
        }
      : undefined,
  );
}

export function removeFromHomeFeed(cache: ApolloCache, postId: string): void {
  cache.modify({
    fields: {
      homeFeed(existing, { readField }) {
        const connection = existing as { edges?: readonly { node: Reference }[] } | undefined;
        if (!connection?.edges) return existing;
        return { ...connection, edges: connection.edges.filter((edge) => readField('id', edge.node) !== postId) };
      },
    },
  });
}
