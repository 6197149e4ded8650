import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerAccount, waitFor } from '@micropost/testing';
import {
  collect,
  liveSubscriptions,
  mutate,
  type ServerProcess,
  type Servers,
  startServers,
  subscribe,
} from './server-process.ts';

// Three servers, as `SERVERS=3 npm start` runs them, on one database and one broker and behind the
// balancer with the configuration generated for three: what is written through the first must
// reach subscribers on the other two, and on whichever server the balancer picked.
let servers: Servers;
let one: ServerProcess;
let two: ServerProcess;
let three: ServerProcess;

beforeAll(async () => {
  servers = await startServers(3, { balancer: true });
  [one, two, three] = servers.all as [ServerProcess, ServerProcess, ServerProcess];
}, 180_000);
afterAll(() => servers?.stop());

const totalLive = async () => (await Promise.all(servers.all.map(liveSubscriptions))).reduce((x, y) => x + y, 0);

describe('three servers behind the balancer', () => {
  it('delivers a post made through server 1 to postCreated and feedUpdated subscribers on servers 2 and 3, and through the balancer', async () => {
    const alice = await registerAccount(one.url, 'three_alice');
    const bob = await registerAccount(one.url, 'three_bob');
    await mutate(one, bob.token, `mutation($id: ID!) { follow(userId: $id) { id } }`, { id: alice.id });

    const created = `subscription($id: ID) { postCreated(authorId: $id) { id body author { handle } } }`;
    const feed = `subscription { feedUpdated { kind postId post { body } } }`;
    const direct = [];
    for (const server of [two, three]) {
      direct.push(await subscribe(servers, server, undefined, created, { id: alice.id }));
      direct.push(await subscribe(servers, server, bob.token, feed));
    }

    // Through the balancer: once every server is ready (HAProxy checks /ready), one socket per
    // subscription, spread by least connections over all three.
    for (const server of servers.all)
      await waitFor(async () => (await fetch(`http://127.0.0.1:${server.port}/ready`)).ok, {
        message: `${server.name} never became ready`,
      });
    const before = await Promise.all(servers.all.map(liveSubscriptions));
    const balanced = [];
    for (let i = 0; i < 3; i++) {
      balanced.push(collect(servers.client(servers.url), created, { id: alice.id }));
      balanced.push(collect(servers.client(servers.url, bob.token), feed));
    }
    await waitFor(async () => (await totalLive()) === before.reduce((x, y) => x + y, 0) + balanced.length, {
      message: 'the servers did not register the subscriptions made through the balancer',
    });
    const after = await Promise.all(servers.all.map(liveSubscriptions));
    expect(
      after.map((count, index) => count - before[index]!),
      'subscriptions per server through the balancer',
    ).toEqual([2, 2, 2]);

    const { createPost } = await mutate(one, alice.token, `mutation { createPost(body: "from server one") { id } }`);
    const expectedCreated = {
      data: { postCreated: { id: createPost.id, body: 'from server one', author: { handle: 'three_alice' } } },
    };
    const expectedFeed = {
      data: { feedUpdated: { kind: 'POST_ADDED', postId: createPost.id, post: { body: 'from server one' } } },
    };
    const subscriptions = [...direct, ...balanced];
    for (const [index, subscription] of subscriptions.entries())
      expect(await subscription.nth(1), `subscription ${index}`).toMatchObject(
        index % 2 === 0 ? expectedCreated : expectedFeed,
      );
    // Each got the post once: no server delivered it twice.
    for (const subscription of subscriptions) expect(subscription.received).toHaveLength(1);
  });
});
