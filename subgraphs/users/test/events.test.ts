import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestServices, tapEvents, type EventTap, graphql, type TestServices } from '@micropost/testing';
import { startTestGraph, type TestGraph } from '@micropost/app/testing';
import { usersSubgraph } from '../src/subgraph.ts';

let services: TestServices;
let graph: TestGraph;
let events: EventTap;

beforeAll(async () => {
  services = await createTestServices();
  graph = await startTestGraph(services.env(), [usersSubgraph]);
  events = await tapEvents(services.amqpUrl, 'user.*');
});
afterAll(async () => {
  await events?.close();
  await graph?.stop();
  await services?.dispose();
});

describe('users events', () => {
  it('publishes user.registered with its envelope, then user.updated with the new profile', async () => {
    const registered = await graphql(
      graph.url,
      `mutation { register(handle: "frank", password: "frank password", displayName: "Frank") { token user { id createdAt } } }`,
      {
        headers: { 'x-request-id': 'req-register-frank' },
      },
    );
    const { token, user } = registered.data!.register;

    const created = await events.next();
    expect(created.routingKey).toBe('user.registered');
    expect(created.body).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      type: 'user.registered',
      version: 1,
      occurredAt: expect.any(String),
      requestId: 'req-register-frank',
      data: { userId: user.id, handle: 'frank', displayName: 'Frank', createdAt: user.createdAt },
    });
    expect(created.messageId).toBe(created.body.id);

    await graphql(graph.url, `mutation { updateProfile(bio: "Likes trains") { id } }`, { token });
    const updated = await events.next();
    expect(updated.routingKey).toBe('user.updated');
    expect(updated.body.data).toEqual({
      userId: user.id,
      handle: 'frank',
      displayName: 'Frank',
      bio: 'Likes trains',
      avatarUrl: null,
      revision: 2,
    });
    expect(updated.body.id).not.toBe(created.body.id);
  });

  it('publishes nothing for a registration that failed', async () => {
    await graphql(graph.url, `mutation { register(handle: "gina", password: "gina password") { token } }`);
    expect((await events.next()).body.data.handle).toBe('gina');
    await graphql(graph.url, `mutation { register(handle: "GINA", password: "other password") { token } }`);
    await graphql(graph.url, `mutation { register(handle: "hank", password: "hank password") { token } }`);
    // Events arrive in order, so the next one after the refused duplicate is hank's.
    expect((await events.next()).body.data.handle).toBe('hank');
  });
});
