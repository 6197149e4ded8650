import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestServices, graphql, type TestGraph, type TestServices } from '@micropost/testing';
import { usersSubgraph } from '@micropost/users';
import { feedSubgraph } from '../src/subgraph.ts';
import { TIMELINE_CAP, TRIM_SLACK } from '../src/timeline-store.ts';
import { EventPublisher, HOME_FEED_IDS, newId, openFeedStore, postData, register, startGraph, waitForFeed } from './support.ts';

let services: TestServices;
let graph: TestGraph;
let events: EventPublisher;
let store: Awaited<ReturnType<typeof openFeedStore>>;

beforeAll(async () => {
  services = await createTestServices();
  graph = await startGraph(services.env(), [usersSubgraph, feedSubgraph]);
  events = await EventPublisher.connect(services.amqpUrl);
  store = await openFeedStore(services);
});
afterAll(async () => {
  await store?.client.close();
  await events?.close();
  await graph?.stop();
  await services?.dispose();
});

describe('the timeline cap', () => {
  it(`keeps at most ${TIMELINE_CAP} entries per timeline, the newest, by fan-out and by backfill`, { timeout: 180_000 }, async () => {
    expect(TIMELINE_CAP).toBe(800);
    const early = await register(graph.url, 'early_follower');
    const late = await register(graph.url, 'late_follower');
    const author = newId();
    await events.publish('follow.created', { followerId: early.id, followeeId: author, createdAt: new Date().toISOString() });
    const total = TIMELINE_CAP + TRIM_SLACK + 50;
    const posts = Array.from({ length: total }, (_, i) => postData(author, i));
    for (const post of posts) await events.publish('post.created', post);
    const newest = posts.map((post) => post.postId).reverse().slice(0, TIMELINE_CAP);

    // Fan-out: the early follower sees exactly the newest 800, and the store was trimmed.
    await waitForFeed(graph.url, early.token, newest, 'the early follower does not see exactly the newest 800 posts', 120_000);
    const stored = await store.timelines.all(early.id);
    expect(stored.length).toBeGreaterThanOrEqual(TIMELINE_CAP);
    expect(stored.length).toBeLessThanOrEqual(TIMELINE_CAP + TRIM_SLACK);
    expect(stored.map((entry) => entry.postId)).toEqual(posts.map((post) => post.postId).reverse().slice(0, stored.length));
    expect(await store.timelines.count(author)).toBeLessThanOrEqual(TIMELINE_CAP + TRIM_SLACK);

    // Backfill: a new follower gets the newest 800, exactly.
    await events.publish('follow.created', { followerId: late.id, followeeId: author, createdAt: new Date().toISOString() });
    await waitForFeed(graph.url, late.token, newest, 'the late follower was not backfilled with exactly the newest 800 posts', 60_000);
    expect(await store.timelines.count(late.id)).toBe(TIMELINE_CAP);

    // Paging ends at the cap even with a cursor near it.
    const deep = await graphql(graph.url, HOME_FEED_IDS, { token: early.token, variables: { first: 100 } });
    let after = deep.data!.homeFeed.pageInfo.endCursor;
    for (let page = 1; page < TIMELINE_CAP / 100; page++) {
      const next = await graphql(graph.url, HOME_FEED_IDS, { token: early.token, variables: { first: 100, after } });
      after = next.data!.homeFeed.pageInfo.endCursor;
      expect(next.data!.homeFeed.pageInfo.hasNextPage).toBe(page < TIMELINE_CAP / 100 - 1);
    }
    const beyond = await graphql(graph.url, HOME_FEED_IDS, { token: early.token, variables: { first: 100, after } });
    expect(beyond.data!.homeFeed).toEqual({ edges: [], pageInfo: { endCursor: null, hasNextPage: false } });
  });
});
