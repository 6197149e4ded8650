import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerAccount, waitFor } from '@micropost/testing';
import {
  collect,
  liveSubscriptions,
  mutate,
  type ServerProcess,
  startTwoServers,
  subscribe,
  subscriptionClient,
  type TwoServers,
} from './server-process.ts';

// Servers A and B as separate processes on one database and one broker: whatever is written through
// A must reach subscribers on B.
let servers: TwoServers;
let a: ServerProcess;
let b: ServerProcess;

beforeAll(async () => {
  servers = await startTwoServers();
  ({ a, b } = servers);
}, 120_000);
afterAll(() => servers?.stop());

const register = (handle: string) => registerAccount(a.url, handle);

describe('live subscriptions across two servers', () => {
  it('delivers POST_ADDED on B for a post created through A, and POST_REMOVED after the delete', async () => {
    const alice = await register('feed_alice');
    const bob = await register('feed_bob');
    await mutate(a, bob.token, `mutation($id: ID!) { follow(userId: $id) { id } }`, { id: alice.id });
    const feed = await subscribe(
      servers,
      b,
      bob.token,
      `subscription { feedUpdated { kind postId post { body author { handle } } } }`,
    );

    const { createPost } = await mutate(a, alice.token, `mutation { createPost(body: "Hello from A") { id } }`);
    expect(await feed.nth(1)).toEqual({
      data: {
        feedUpdated: {
          kind: 'POST_ADDED',
          postId: createPost.id,
          post: { body: 'Hello from A', author: { handle: 'feed_alice' } },
        },
      },
      extensions: { cursor: expect.any(String) },
    });

    await mutate(a, alice.token, `mutation($id: ID!) { deletePost(id: $id) }`, { id: createPost.id });
    expect(await feed.nth(2)).toEqual({
      data: { feedUpdated: { kind: 'POST_REMOVED', postId: createPost.id, post: null } },
      extensions: { cursor: expect.any(String) },
    });
  });

  it('delivers NEW_FOLLOWER and POST_LIKED notifications with their actor', async () => {
    const alice = await register('note_alice');
    const carol = await register('note_carol');
    const notes = await subscribe(
      servers,
      b,
      alice.token,
      `subscription { notificationReceived { kind occurredAt actor { handle } post { body } } }`,
    );
    const { createPost } = await mutate(a, alice.token, `mutation { createPost(body: "Like me") { id } }`);

    await mutate(a, carol.token, `mutation($id: ID!) { follow(userId: $id) { id } }`, { id: alice.id });
    expect((await notes.nth(1)).data).toMatchObject({
      notificationReceived: { kind: 'NEW_FOLLOWER', actor: { handle: 'note_carol' }, post: null },
    });

    await mutate(a, carol.token, `mutation($id: ID!) { likePost(postId: $id) { id } }`, { id: createPost.id });
    expect((await notes.nth(2)).data).toMatchObject({
      notificationReceived: { kind: 'POST_LIKED', actor: { handle: 'note_carol' }, post: { body: 'Like me' } },
    });
  });

  it('shows the new likeCount to everyone watching a post', async () => {
    const alice = await register('act_alice');
    const fan = await register('act_fan');
    const { createPost } = await mutate(a, alice.token, `mutation { createPost(body: "Watch my likes") { id } }`);
    const activity = await subscribe(
      servers,
      b,
      undefined,
      `subscription($id: ID!) { postActivity(postId: $id) { post { id likeCount } } }`,
      { id: createPost.id },
    );

    await mutate(a, fan.token, `mutation($id: ID!) { likePost(postId: $id) { id } }`, { id: createPost.id });
    expect((await activity.nth(1)).data).toEqual({ postActivity: { post: { id: createPost.id, likeCount: 1 } } });
    await mutate(a, fan.token, `mutation($id: ID!) { unlikePost(postId: $id) { id } }`, { id: createPost.id });
    expect((await activity.nth(2)).data).toEqual({ postActivity: { post: { id: createPost.id, likeCount: 0 } } });
  });

  it('filters postCreated by author', async () => {
    const alice = await register('new_alice');
    const dave = await register('new_dave');
    const onlyAlice = await subscribe(
      servers,
      b,
      undefined,
      `subscription($id: ID) { postCreated(authorId: $id) { body author { handle } } }`,
      { id: alice.id },
    );
    const everyone = await subscribe(servers, b, undefined, `subscription { postCreated { body } }`);

    await mutate(a, alice.token, `mutation { createPost(body: "alice one") { id } }`);
    await mutate(a, dave.token, `mutation { createPost(body: "dave one") { id } }`);
    await mutate(a, alice.token, `mutation { createPost(body: "alice two") { id } }`);

    await onlyAlice.nth(2);
    await everyone.nth(3);
    expect(onlyAlice.received.map((message) => message.payload.data)).toEqual([
      { postCreated: { body: 'alice one', author: { handle: 'new_alice' } } },
      { postCreated: { body: 'alice two', author: { handle: 'new_alice' } } },
    ]);
    expect(everyone.received.map((message) => message.payload.data?.postCreated.body).sort()).toEqual([
      'alice one',
      'alice two',
      'dave one',
    ]);
  });

  it('refuses feedUpdated without a token, and a connection with a bad token', async () => {
    const anonymous = collect(subscriptionClient(b.url), `subscription { feedUpdated { kind } }`);
    await waitFor(async () => anonymous.received.length > 0 || anonymous.failures.length > 0, {
      message: 'no answer to an anonymous feedUpdated',
    });
    expect(anonymous.received[0]?.payload.errors?.map((error) => error.extensions?.code)).toEqual(['UNAUTHENTICATED']);

    const forged = collect(subscriptionClient(b.url, 'not-a-token'), `subscription { postCreated { body } }`);
    await waitFor(async () => forged.failures.length > 0, { message: 'a bad token was not refused' });
    expect((forged.failures[0] as { code?: number }).code).toBe(4403);
  });

  it('delivers one post created on A to 200 concurrent subscribers on B', async () => {
    const author = await register('crowd_author');
    const query = `subscription($id: ID) { postCreated(authorId: $id) { id body } }`;
    const subscribers = await Promise.all(
      Array.from({ length: 200 }, async () => {
        const client = servers.client(b.url);
        return collect(client, query, { id: author.id });
      }),
    );
    await waitFor(async () => (await liveSubscriptions(b)) >= 200, { message: 'B did not register 200 subscriptions' });

    const { createPost } = await mutate(a, author.token, `mutation { createPost(body: "to the crowd") { id } }`);
    const sent = performance.now();
    await waitFor(async () => subscribers.every((subscriber) => subscriber.received.length === 1), {
      timeoutMs: 20_000,
      message: 'not every subscriber received the post',
    });

    for (const subscriber of subscribers)
      expect(subscriber.received[0]!.payload.data).toEqual({
        postCreated: { id: createPost.id, body: 'to the crowd' },
      });
    const latencies = subscribers.map((subscriber) => subscriber.received[0]!.at - sent).sort((x, y) => x - y);
    const percentile = (p: number) =>
      latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)]!.toFixed(1);
    console.log(
      `200 subscribers on B, post created on A: delivery after the mutation's response p50 ${percentile(50)} ms, p99 ${percentile(99)} ms`,
    );
  }, 60_000);
});
