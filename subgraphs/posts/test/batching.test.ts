import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql, registerAccount, type TestAccount } from '@micropost/testing';
import { createPost, startPostsGraph, type PostsTestGraph } from './helpers.ts';

const USER_PAGE = /* GraphQL */ `
  query($handle: String!, $first: Int!) {
    user(handle: $handle) { posts(first: $first) { edges { node { body likeCount viewerHasLiked author { handle postCount } } } } }
  }`;

let env: PostsTestGraph;
let url: string;
let author: TestAccount;
let viewer: TestAccount;

beforeAll(async () => {
  env = await startPostsGraph();
  url = env.graph.url;
  [author, viewer] = await Promise.all([registerAccount(url, 'prolific'), registerAccount(url, 'reader')]);
  const posts = [];
  for (let i = 0; i < 25; i++) posts.push(await createPost(url, author, `post ${i}`));
  // The viewer likes every other post, so both answers of viewerHasLiked occur on every page.
  for (const post of posts.filter((_, i) => i % 2 === 0)) {
    const liked = await graphql(url, `mutation($id: ID!) { likePost(postId: $id) { id } }`, {
      token: viewer.token,
      variables: { id: post.id },
    });
    expect(liked.errors).toBeUndefined();
  }
});
afterAll(async () => {
  await env?.stop();
});

/** Read commands per subgraph while the page is fetched. */
async function readsFor(first: number, token?: string) {
  const { result, reads } = await env.graph.readsDuring(() =>
    graphql(url, USER_PAGE, { token, variables: { handle: 'prolific', first } }),
  );
  expect(result.errors).toBeUndefined();
  const edges = result.data!.user.posts.edges;
  expect(edges).toHaveLength(first);
  for (const { node } of edges) expect(node.author).toEqual({ handle: 'prolific', postCount: 25 });
  return {
    edges,
    posts: reads.posts?.length ?? 0,
    users: reads.users?.length ?? 0,
    commands: (reads.posts ?? []).map((event) => event.commandName),
  };
}

describe('a page of posts costs a constant number of queries', () => {
  it('signed in: the same for 5 and 20 posts (page, viewer likes, post counts; user by handle, authors)', async () => {
    const small = await readsFor(5, viewer.token);
    const large = await readsFor(20, viewer.token);
    expect(large.edges.map((edge: any) => edge.node.viewerHasLiked)).toContain(true);
    expect(large.edges.map((edge: any) => edge.node.viewerHasLiked)).toContain(false);
    expect(small.posts).toBe(3);
    expect(large.posts).toBe(3);
    expect(small.users).toBe(2);
    expect(large.users).toBe(2);
    expect(large.commands).toEqual(['find', 'find', 'find']);
  });

  it('signed out: viewerHasLiked needs no query at all', async () => {
    const small = await readsFor(5);
    const large = await readsFor(20);
    expect(large.edges.every((edge: any) => edge.node.viewerHasLiked === false)).toBe(true);
    expect(small.posts).toBe(2);
    expect(large.posts).toBe(2);
    expect(large.users).toBe(2);
  });
});
