import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCodes, graphql, registerAccount, tapEvents, type EventTap, type TestAccount } from '@micropost/testing';
import { createPost, startPostsGraph, type PostsTestGraph } from './helpers.ts';

const LIKE = /* GraphQL */ `mutation($id: ID!) { likePost(postId: $id) { id likeCount viewerHasLiked } }`;
const UNLIKE = /* GraphQL */ `mutation($id: ID!) { unlikePost(postId: $id) { id likeCount viewerHasLiked } }`;
const POST = /* GraphQL */ `query($id: ID!) { post(id: $id) { likeCount viewerHasLiked } }`;

let env: PostsTestGraph;
let url: string;
let events: EventTap;
let alice: TestAccount;
let bob: TestAccount;
let carol: TestAccount;

beforeAll(async () => {
  env = await startPostsGraph();
  url = env.graph.url;
  events = await tapEvents(env.services.amqpUrl, 'post.*');
  [alice, bob, carol] = await Promise.all([
    registerAccount(url, 'alice'),
    registerAccount(url, 'bob'),
    registerAccount(url, 'carol'),
  ]);
});
afterAll(async () => {
  await events?.close();
  await env?.stop();
});

const like = (user: TestAccount, id: string) => graphql(url, LIKE, { token: user.token, variables: { id } });
const unlike = (user: TestAccount, id: string) => graphql(url, UNLIKE, { token: user.token, variables: { id } });
const readPost = async (id: string, user?: TestAccount) =>
  (await graphql(url, POST, { token: user?.token, variables: { id } })).data!.post;

describe('likes', () => {
  it('counts 20 concurrent likes by one user once, with one post.liked; 20 concurrent unlikes once, with one post.unliked', async () => {
    const post = await createPost(url, alice, 'like me a lot');

    const likes = await Promise.all(Array.from({ length: 20 }, () => like(bob, post.id)));
    for (const response of likes) expect(response.errors).toBeUndefined();
    expect(await readPost(post.id, bob)).toEqual({ likeCount: 1, viewerHasLiked: true });

    const unlikes = await Promise.all(Array.from({ length: 20 }, () => unlike(bob, post.id)));
    for (const response of unlikes) expect(response.errors).toBeUndefined();
    expect(await readPost(post.id, bob)).toEqual({ likeCount: 0, viewerHasLiked: false });

    // A last change to the same post: its outbox publishes in order, so everything before it has arrived.
    expect((await like(carol, post.id)).data!.likePost.likeCount).toBe(1);
    const received = await events.until(
      (event) => event.body.data.postId === post.id && event.body.data.likerId === carol.id,
    );
    const ofBob = received.filter((event) => event.body.data.postId === post.id && event.body.data.likerId === bob.id);
    expect(ofBob.map((event) => [event.routingKey, event.body.data.likeCount])).toEqual([
      ['post.liked', 1],
      ['post.unliked', 0],
    ]);
  });

  it('counts likes by different users, also when they arrive concurrently', async () => {
    const post = await createPost(url, alice, 'popular');
    expect((await like(bob, post.id)).data!.likePost).toEqual({ id: post.id, likeCount: 1, viewerHasLiked: true });
    expect((await like(carol, post.id)).data!.likePost).toEqual({ id: post.id, likeCount: 2, viewerHasLiked: true });

    const fans = await Promise.all(Array.from({ length: 15 }, (_, i) => registerAccount(url, `fan_${i}`)));
    const responses = await Promise.all(fans.map((fan) => like(fan, post.id)));
    for (const response of responses) expect(response.errors).toBeUndefined();
    // Each like's response carries the count its own write produced: all different, 3..17.
    expect(responses.map((response) => response.data!.likePost.likeCount).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 15 }, (_, i) => i + 3),
    );
    expect((await readPost(post.id)).likeCount).toBe(17);
  });

  it('answers viewerHasLiked per viewer, and false when signed out', async () => {
    const post = await createPost(url, alice, 'who likes this');
    await like(bob, post.id);
    expect(await readPost(post.id, bob)).toEqual({ likeCount: 1, viewerHasLiked: true });
    expect(await readPost(post.id, carol)).toEqual({ likeCount: 1, viewerHasLiked: false });
    expect(await readPost(post.id)).toEqual({ likeCount: 1, viewerHasLiked: false });
  });

  it('leaves the count alone when unliking a post that was not liked', async () => {
    const post = await createPost(url, alice, 'not liked by carol');
    await like(bob, post.id);
    expect((await unlike(carol, post.id)).data!.unlikePost).toEqual({
      id: post.id,
      likeCount: 1,
      viewerHasLiked: false,
    });
    expect((await readPost(post.id)).likeCount).toBe(1);
  });

  it.each([
    ['likePost', LIKE],
    ['unlikePost', UNLIKE],
  ])(
    '%s: UNAUTHENTICATED signed out, BAD_USER_INPUT for a malformed id, NOT_FOUND for an unknown or deleted post',
    async (_name, mutation) => {
      const post = await createPost(url, alice, 'soon gone');
      expect(errorCodes(await graphql(url, mutation, { variables: { id: post.id } }))).toEqual(['UNAUTHENTICATED']);
      expect(errorCodes(await graphql(url, mutation, { token: bob.token, variables: { id: 'xyz' } }))).toEqual([
        'BAD_USER_INPUT',
      ]);
      expect(
        errorCodes(await graphql(url, mutation, { token: bob.token, variables: { id: 'ffffffffffffffffffffffff' } })),
      ).toEqual(['NOT_FOUND']);
      expect(
        (
          await graphql(url, `mutation($id: ID!) { deletePost(id: $id) }`, {
            token: alice.token,
            variables: { id: post.id },
          })
        ).errors,
      ).toBeUndefined();
      expect(errorCodes(await graphql(url, mutation, { token: bob.token, variables: { id: post.id } }))).toEqual([
        'NOT_FOUND',
      ]);
    },
  );
});
