import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCodes, graphql, registerAccount, type TestAccount } from '@micropost/testing';
import { CREATE_POST, createPost, startPostsGraph, type PostsTestGraph } from './helpers.ts';

const POST = /* GraphQL */ `query($id: ID!) { post(id: $id) { id body createdAt likeCount viewerHasLiked author { id handle } } }`;
const DELETE_POST = /* GraphQL */ `mutation($id: ID!) { deletePost(id: $id) }`;
const USER_POSTS = /* GraphQL */ `
  query($handle: String!, $first: Int, $after: String) {
    user(handle: $handle) { postCount posts(first: $first, after: $after) { edges { cursor node { id body } } pageInfo { endCursor hasNextPage } } }
  }`;

let env: PostsTestGraph;
let url: string;
let alice: TestAccount;
let bob: TestAccount;

beforeAll(async () => {
  env = await startPostsGraph();
  url = env.graph.url;
  alice = await registerAccount(url, 'alice');
  bob = await registerAccount(url, 'bob');
});
afterAll(async () => {
  await env?.stop();
});

const userPosts = (handle: string, variables: Record<string, unknown> = {}) =>
  graphql(url, USER_POSTS, { variables: { handle, ...variables } });

describe('createPost', () => {
  it('creates a trimmed post by the viewer, readable by id', async () => {
    const response = await graphql(url, CREATE_POST, { token: alice.token, variables: { body: '  Hello, world!  ' } });
    expect(response.errors).toBeUndefined();
    const post = response.data!.createPost;
    expect(post).toMatchObject({
      body: 'Hello, world!',
      likeCount: 0,
      viewerHasLiked: false,
      author: { id: alice.id, handle: 'alice' },
    });
    expect(new Date(post.createdAt).getTime()).toBeGreaterThan(Date.now() - 60_000);

    const read = await graphql(url, POST, { variables: { id: post.id } });
    expect(read.data!.post).toEqual({ ...post, viewerHasLiked: false });
  });

  it('requires sign-in', async () => {
    expect(errorCodes(await graphql(url, CREATE_POST, { variables: { body: 'anonymous' } }))).toEqual([
      'UNAUTHENTICATED',
    ]);
  });

  it.each([
    ['empty', ''],
    ['whitespace only', '   \n\t '],
    ['281 characters', 'x'.repeat(281)],
    ['281 emoji', '😀'.repeat(281)],
  ])('refuses a body that is %s with BAD_USER_INPUT, and stores nothing', async (_label, body) => {
    const before = (await userPosts('bob')).data!.user.postCount;
    expect(errorCodes(await graphql(url, CREATE_POST, { token: bob.token, variables: { body } }))).toEqual([
      'BAD_USER_INPUT',
    ]);
    expect((await userPosts('bob')).data!.user.postCount).toBe(before);
  });

  it('accepts 280 characters, counting an emoji as one', async () => {
    const response = await graphql(url, CREATE_POST, { token: bob.token, variables: { body: '😀'.repeat(280) } });
    expect(response.errors).toBeUndefined();
    expect([...response.data!.createPost.body]).toHaveLength(280);
  });
});

describe('post', () => {
  it('is null for an unknown or malformed id', async () => {
    expect((await graphql(url, POST, { variables: { id: '0123456789abcdef01234567' } })).data!.post).toBeNull();
    const malformed = await graphql(url, POST, { variables: { id: 'not-an-id' } });
    expect(malformed.errors).toBeUndefined();
    expect(malformed.data!.post).toBeNull();
  });
});

describe('deletePost', () => {
  it('lets only the author delete, and then the post is gone from post, User.posts and postCount', async () => {
    const carol = await registerAccount(url, 'carol');
    const keep = await createPost(url, carol, 'keep me');
    const doomed = await createPost(url, carol, 'delete me');
    const before = (await userPosts('carol')).data!.user;
    expect(before.postCount).toBe(2);
    expect(before.posts.edges.map((edge: any) => edge.node.id)).toEqual([doomed.id, keep.id]);

    expect(errorCodes(await graphql(url, DELETE_POST, { variables: { id: doomed.id } }))).toEqual(['UNAUTHENTICATED']);
    expect(errorCodes(await graphql(url, DELETE_POST, { token: bob.token, variables: { id: doomed.id } }))).toEqual([
      'FORBIDDEN',
    ]);
    expect((await graphql(url, POST, { variables: { id: doomed.id } })).data!.post).not.toBeNull();

    const deleted = await graphql(url, DELETE_POST, { token: carol.token, variables: { id: doomed.id } });
    expect(deleted.errors).toBeUndefined();
    expect(deleted.data!.deletePost).toBe(doomed.id);

    expect((await graphql(url, POST, { variables: { id: doomed.id } })).data!.post).toBeNull();
    const after = (await userPosts('carol')).data!.user;
    expect(after.postCount).toBe(1);
    expect(after.posts.edges.map((edge: any) => edge.node.id)).toEqual([keep.id]);

    // Deleting again: it is gone.
    expect(errorCodes(await graphql(url, DELETE_POST, { token: carol.token, variables: { id: doomed.id } }))).toEqual([
      'NOT_FOUND',
    ]);
    // Nor can it be liked any more.
    expect(
      errorCodes(
        await graphql(url, `mutation($id: ID!) { likePost(postId: $id) { id } }`, {
          token: bob.token,
          variables: { id: doomed.id },
        }),
      ),
    ).toEqual(['NOT_FOUND']);
  });

  it('answers BAD_USER_INPUT for a malformed id and NOT_FOUND for an unknown one', async () => {
    expect(errorCodes(await graphql(url, DELETE_POST, { token: alice.token, variables: { id: 'nope' } }))).toEqual([
      'BAD_USER_INPUT',
    ]);
    expect(
      errorCodes(
        await graphql(url, DELETE_POST, { token: alice.token, variables: { id: '0123456789abcdef01234567' } }),
      ),
    ).toEqual(['NOT_FOUND']);
  });
});

describe('User.posts arguments', () => {
  it.each([0, 101, -1])('refuses first: %d with BAD_USER_INPUT', async (first) => {
    expect(errorCodes(await userPosts('alice', { first }))).toEqual(['BAD_USER_INPUT']);
  });

  it.each([
    'garbage',
    Buffer.from('[1,"not-an-object-id"]').toString('base64url'),
    Buffer.from('{"a":1}').toString('base64url'),
  ])('refuses the cursor %j with BAD_USER_INPUT', async (after) => {
    expect(errorCodes(await userPosts('alice', { after }))).toEqual(['BAD_USER_INPUT']);
  });

  it('accepts first: 1 and first: 100, and gives a user without posts an empty list and 0', async () => {
    expect((await userPosts('alice', { first: 1 })).data!.user.posts.edges).toHaveLength(1);
    expect((await userPosts('alice', { first: 100 })).errors).toBeUndefined();
    const dave = await registerAccount(url, 'dave');
    expect((await userPosts(dave.handle)).data!.user).toEqual({
      postCount: 0,
      posts: { edges: [], pageInfo: { endCursor: null, hasNextPage: false } },
    });
  });
});
