import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from 'graphql-ws';
import { freePort, startBalancer, type RunningBalancer } from '@micropost/infra';
import { createTestServices, graphql, waitFor, type TestServices } from '@micropost/testing';
import { collect, startServerProcess, subscriptionClient, type ServerProcess } from './server-process.ts';

// Servers A and B behind the real balancer (HAProxy with deploy/haproxy.cfg), then A dies.
let services: TestServices;
let a: ServerProcess;
let b: ServerProcess;
let balancer: RunningBalancer;
let url: string;
const clients: Client[] = [];

beforeAll(async () => {
  services = await createTestServices();
  [a, b] = await Promise.all([
    startServerProcess('server-a', services.env()),
    startServerProcess('server-b', services.env()),
  ]);
  balancer = await startBalancer({
    port: await freePort(),
    servers: [`127.0.0.1:${a.port}`, `127.0.0.1:${b.port}`],
    log: () => {},
  });
  url = `http://127.0.0.1:${balancer.port}/graphql`;
}, 120_000);
afterAll(async () => {
  await Promise.all(clients.map((client) => client.dispose()));
  await balancer?.stop();
  await Promise.all([a?.stop(), b?.stop()]);
  await services?.dispose();
});

const liveSubscriptions = async (server: ServerProcess) =>
  ((await (await fetch(`http://127.0.0.1:${server.port}/health`)).json()) as { liveSubscriptions: number })
    .liveSubscriptions;

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
      const client = subscriptionClient(url, undefined, { retryAttempts: 20 });
      clients.push(client);
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
