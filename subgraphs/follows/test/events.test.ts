import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { usersSubgraph } from '@micropost/users';
import { createTestServices, tapEvents, type EventTap, type TestServices } from '@micropost/testing';
import { startTestGraph, type TestGraph } from '@micropost/app/testing';
import { followsSubgraph } from '../src/subgraph.ts';
import { follow, register, unfollow } from './helpers.ts';

let services: TestServices;
let graph: TestGraph;
let events: EventTap;

beforeAll(async () => {
  services = await createTestServices();
  graph = await startTestGraph(services.env(), [usersSubgraph, followsSubgraph]);
  events = await tapEvents(services.amqpUrl, 'follow.*');
});
afterAll(async () => {
  await events?.close();
  await graph?.stop();
  await services?.dispose();
});

describe('follows events', () => {
  it('publishes follow.created, then follow.deleted, with the pair', async () => {
    const [kate, liam] = await Promise.all([register(graph.url, 'kate'), register(graph.url, 'liam')]);
    const before = Date.now();
    await follow(graph.url, kate, liam.id);

    const created = await events.next();
    expect(created.routingKey).toBe('follow.created');
    expect(created.body).toMatchObject({
      type: 'follow.created',
      version: 1,
      data: { followerId: kate.id, followeeId: liam.id, createdAt: expect.any(String) },
    });
    expect(Date.parse(created.body.data.createdAt)).toBeGreaterThanOrEqual(before - 1_000);
    expect(created.messageId).toBe(created.body.id);

    await unfollow(graph.url, kate, liam.id);
    const deleted = await events.next();
    expect(deleted.routingKey).toBe('follow.deleted');
    expect(deleted.body).toMatchObject({ type: 'follow.deleted', data: { followerId: kate.id, followeeId: liam.id } });
  });

  it('publishes one follow.created for concurrent duplicate follows, and nothing for a no-op unfollow', async () => {
    const [mona, nick] = await Promise.all([register(graph.url, 'mona'), register(graph.url, 'nick')]);
    await unfollow(graph.url, mona, nick.id); // not following: no event
    await Promise.all(Array.from({ length: 10 }, () => follow(graph.url, mona, nick.id)));
    await Promise.all(Array.from({ length: 5 }, () => unfollow(graph.url, mona, nick.id)));
    await follow(graph.url, mona, nick.id);

    // One edge's events leave in the order they were written: any extra event would show up here.
    const kinds = [];
    for (let i = 0; i < 3; i++) kinds.push((await events.next()).routingKey);
    expect(kinds).toEqual(['follow.created', 'follow.deleted', 'follow.created']);
    // And nothing after them: a marker event proves the queue has caught up.
    const [olga] = await Promise.all([register(graph.url, 'olga')]);
    await follow(graph.url, olga, nick.id);
    const marker = await events.next();
    expect(marker.body.data).toMatchObject({ followerId: olga.id, followeeId: nick.id });
  });
});
