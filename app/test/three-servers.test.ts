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

    // Through the balancer: one socket per subscription, spread by least connections. HAProxy
    // takes a server in once two checks of its /ready passed, so open them in rounds of six (a
    // postCreated and a feedUpdated per server) until each server holds some.
    const before = await Promise.all(servers.all.map(liveSubscriptions));
    const balanced: ReturnType<typeof collect>[] = [];
    const perServer = await waitFor(
      async () => {
        for (let i = 0; i < servers.all.length; i++) {
          balanced.push(collect(servers.client(servers.url), created, { id: alice.id }));
          balanced.push(collect(servers.client(servers.url, bob.token), feed));
        }
        const expected = before.reduce((x, y) => x + y, 0) + balanced.length;
        await waitFor(async () => (await totalLive()) === expected, {
          message: 'the servers did not register the subscriptions made through the balancer',
        });
        const added = (await Promise.all(servers.all.map(liveSubscriptions))).map((count, i) => count - before[i]!);
        return added.every((count) => count > 0) && added;
      },
      { timeoutMs: 20_000, intervalMs: 500, message: 'the balancer did not send subscriptions to every server' },
    );
    expect(perServer.reduce((x, y) => x + y, 0)).toBe(balanced.length);

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
