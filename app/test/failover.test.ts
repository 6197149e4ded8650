import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql, waitFor } from '@micropost/testing';
import { collect, liveSubscriptions, type ServerProcess, startTwoServers, type TwoServers } from './server-process.ts';

// Servers A and B behind the real balancer (HAProxy with deploy/haproxy.cfg), then A dies.
let servers: TwoServers;
let a: ServerProcess;
let b: ServerProcess;
let url: string;

beforeAll(async () => {
  servers = await startTwoServers({ balancer: true });
  ({ a, b, url } = servers);
}, 120_000);
afterAll(() => servers?.stop());

describe('through the balancer', () => {
  it('keeps HTTP working and reconnects WebSocket clients when server A dies', async () => {
    const registered = await graphql(
      url,
      `mutation { register(handle: "survivor", password: "password 123") { token user { id } } }`,
    );
    const { token, user } = registered.data!.register;
    const query = `subscription($id: ID) { postCreated(authorId: $id) { body } }`;

    // Least-connections balancing puts one socket on each server; check that it did.
    const subscriptions = [0, 1].map(() => {
      const client = servers.client(url, undefined, { retryAttempts: 20 });
      return collect(client, query, { id: user.id });
    });
    await waitFor(async () => (await liveSubscriptions(a)) === 1 && (await liveSubscriptions(b)) === 1, {
      message: 'the sockets did not spread over A and B',
    });

    await graphql(url, `mutation { createPost(body: "before") { id } }`, { token });
    await Promise.all(subscriptions.map((subscription) => subscription.nth(1)));

    await a.kill();
    for (let i = 0; i < 10; i++) {
      const me = await graphql(url, `{ me { id } }`, { token });
      expect(me.errors).toBeUndefined();
      expect(me.data!.me.id).toBe(user.id);
    }

    // The client that was on A reconnects through the balancer to B and resubscribes.
    await waitFor(async () => (await liveSubscriptions(b)) === 2, {
      timeoutMs: 20_000,
      message: 'the client on A never resubscribed on B',
    });
    const created = await graphql(url, `mutation { createPost(body: "after") { id } }`, { token });
    expect(created.errors).toBeUndefined();
    for (const subscription of subscriptions)
      expect((await subscription.nth(2)).data).toEqual({ postCreated: { body: 'after' } });
  }, 90_000);
});
