import type { ApolloCache, Reference } from '@apollo/client';
import type { PostFieldsFragment } from './gql/graphql.ts';
import { HomeFeedQuery, PostFields } from './operations.ts';

// Live changes to cached post lists. The connection merge function (apollo.ts) puts a written
// first-page edge in order and keeps one edge per post.

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

/** Takes a deleted post out of every list that shows it: home feed, search results, its author's posts. */
export function removePost(cache: ApolloCache, postId: string): void {
  const postRef = cache.identify({ __typename: 'Post', id: postId });
  const authorId = postRef
    ? cache.readFragment({ id: postRef, fragment: PostFields, fragmentName: 'PostFields' })?.author.id
    : undefined;
  const without = (existing: unknown, readField: (field: string, from: Reference) => unknown) => {
    const connection = existing as { edges?: readonly { node: Reference }[] } | undefined;
    if (!connection?.edges) return existing;
    return { ...connection, edges: connection.edges.filter((edge) => readField('id', edge.node) !== postId) };
  };
  cache.modify({
    fields: {
      homeFeed: (existing, { readField }) => without(existing, readField as never),
      searchPosts: (existing, { readField }) => without(existing, readField as never),
    },
  });
  const authorRef = authorId ? cache.identify({ __typename: 'User', id: authorId }) : undefined;
  if (authorRef)
    cache.modify({
      id: authorRef,
      // Not postCount: a delete is seen twice (the mutation and the feed event); profiles refetch counts.
      fields: { posts: (existing, { readField }) => without(existing, readField as never) },
    });
}
