import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MongoClient } from 'mongodb';
import { createTestServices, graphql, registerAccount, type TestServices } from '@micropost/testing';
import { startTestGraph, type TestGraph } from '@micropost/app/testing';
import { usersSubgraph } from '@micropost/users';
import { feedSubgraph } from '../src/subgraph.ts';
import { TIMELINE_CAP, TimelineStore, TRIM_SLACK, type TimelineEntry } from '../src/timeline-store.ts';
import { EventPublisher, HOME_FEED_IDS, homeFeedIds, newId, openFeedStore, postData, waitForAcks } from './support.ts';

let services: TestServices;

beforeAll(async () => {
  services = await createTestServices();
});
afterAll(async () => {
  await services?.dispose();
});

describe(`the timeline store at its default cap of ${TIMELINE_CAP}`, () => {
  let client: MongoClient;
  let timelines: TimelineStore;
  beforeAll(async () => {
    client = new MongoClient(services.mongoUrl, { maxPoolSize: 1 });
    await client.connect();
    timelines = await TimelineStore.open(client.db(`${services.dbPrefix}cap_store`));
  });
  afterAll(async () => client?.close());

  const entries = (ownerId: string, count: number): TimelineEntry[] => {
    const authorId = newId();
    return Array.from({ length: count }, (_, i) => ({
      ownerId,
      postId: newId(),
      authorId,
      createdAt: new Date(Date.UTC(2026, 0, 1) + i * 1000),
    }));
  };
  const newestIds = (all: TimelineEntry[], count: number) =>
    [...all]
      .reverse()
      .slice(0, count)
      .map((entry) => entry.postId);

  it('850 posts arriving one by one leave the newest 800', { timeout: 120_000 }, async () => {
    expect([TIMELINE_CAP, TRIM_SLACK]).toEqual([800, 50]);
    const owner = newId();
    const all = entries(owner, 850);
    for (const [i, entry] of all.entries()) {
      await timelines.add([entry]);
      // Never more than cap + slack - 1 stored.
      if (i % 100 === 99) expect(await timelines.count(owner)).toBeLessThan(TIMELINE_CAP + TRIM_SLACK);
    }
    expect((await timelines.all(owner)).map((entry) => entry.postId)).toEqual(newestIds(all, 800));
  });

  it('850 posts arriving in one bulk write (a backfill) leave the newest 800, and say which went at once', async () => {
    const owner = newId();
    const all = entries(owner, 850);
    const trimmed = await timelines.add([...all].reverse());
    expect((await timelines.all(owner)).map((entry) => entry.postId)).toEqual(newestIds(all, 800));
    expect(trimmed.map((entry) => entry.postId).sort()).toEqual(
      all
        .slice(0, 50)
        .map((entry) => entry.postId)
        .sort(),
    );
  });
});

describe('timelines grown by a large fan-out (cap 5, slack 2)', () => {
  it('are counted and trimmed by trimPending, not one counter update per owner per post', async () => {
    const client = new MongoClient(services.mongoUrl);
    try {
      const db = client.db(`${services.dbPrefix}cap_pending`);
      const timelines = await TimelineStore.open(db, { cap: 5, slack: 2 });
      const owners = Array.from({ length: 20 }, () => newId());
      const posts = Array.from({ length: 8 }, (_, i) => ({
        postId: newId(),
        authorId: newId(),
        createdAt: new Date(Date.UTC(2026, 0, 1) + i * 1000),
      }));
      for (const post of posts)
        expect(await timelines.add(owners.map((ownerId) => ({ ownerId, ...post })))).toEqual([]);
      // Written, not yet counted: every timeline holds all 8.
      expect(await timelines.count(owners[0]!)).toBe(8);
      expect(await db.collection('timeline_owners').countDocuments()).toBe(0);
      expect(await db.collection('timeline_growth').countDocuments()).toBe(8);

      await timelines.trimPending();
      const newest = posts
        .map((post) => post.postId)
        .reverse()
        .slice(0, 5);
      for (const owner of owners) expect((await timelines.all(owner)).map((entry) => entry.postId)).toEqual(newest);
      expect(await db.collection('timeline_growth').countDocuments()).toBe(0);
    } finally {
      await client.close();
    }
  });
  it('two processes running trimPending at once count each growth record once', async () => {
    const [one, two] = [new MongoClient(services.mongoUrl), new MongoClient(services.mongoUrl)];
    try {
      const name = `${services.dbPrefix}cap_pending_twice`;
      // A cap no timeline reaches: the counters must end equal to what each timeline gained.
      const options = { cap: 1000, slack: 50 };
      const [a, b] = [await TimelineStore.open(one.db(name), options), await TimelineStore.open(two.db(name), options)];
      const owners = Array.from({ length: 12 }, () => newId());
      for (let i = 0; i < 30; i++)
        await a.add(
          owners.map((ownerId) => ({
            ownerId,
            postId: newId(),
            authorId: 'x',
            createdAt: new Date(Date.UTC(2026, 0, 1) + i),
          })),
        );
      expect(await one.db(name).collection('timeline_growth').countDocuments()).toBe(30);
      await Promise.all([a.trimPending(), b.trimPending()]);
      const counters = await one.db(name).collection('timeline_owners').find().toArray();
      expect(counters.map((owner) => [owner._id, owner.entries]).sort()).toEqual(owners.map((id) => [id, 30]).sort());
      expect(await one.db(name).collection('timeline_growth').countDocuments()).toBe(0);
    } finally {
      await Promise.all([one.close(), two.close()]);
    }
  });
});

describe('the cap through the graph (FEED_TIMELINE_CAP=40, FEED_TRIM_SLACK=10)', () => {
  // The same code with a smaller cap, so that fan-out, trimming, backfill and paging can be
  // driven by real events quickly.
  const cap = 40;
  let graph: TestGraph;
  let events: EventPublisher;
  let store: Awaited<ReturnType<typeof openFeedStore>>;
  beforeAll(async () => {
    graph = await startTestGraph(services.env({ FEED_TIMELINE_CAP: String(cap), FEED_TRIM_SLACK: '10' }), [
      usersSubgraph,
      feedSubgraph,
    ]);
    events = await EventPublisher.connect(services.amqpUrl);
    store = await openFeedStore(services);
  });
  afterAll(async () => {
    await store?.client.close();
    await events?.close();
    await graph?.stop();
  });

  it('keeps the newest posts by fan-out and by backfill, and pages end at the cap', { timeout: 120_000 }, async () => {
    const early = await registerAccount(graph.url, 'early_follower');
    const late = await registerAccount(graph.url, 'late_follower');
    const author = newId();
    await events.publish('follow.created', {
      followerId: early.id,
      followeeId: author,
      createdAt: new Date().toISOString(),
    });
    const total = 105;
    const posts = Array.from({ length: total }, (_, i) => postData(author, i));
    for (const post of posts) await events.publish('post.created', post);
    const newest = posts
      .map((post) => post.postId)
      .reverse()
      .slice(0, cap);

    // Fan-out: the early follower sees exactly the newest 40, and the store was trimmed.
    await waitForAcks(services, 1 + total, 60_000);
    expect(await homeFeedIds(graph.url, early.token, 7)).toEqual(newest);
    const stored = await store.timelines.all(early.id);
    expect(stored.length).toBeGreaterThanOrEqual(cap);
    expect(stored.length).toBeLessThan(cap + 10);
    expect(stored.map((entry) => entry.postId)).toEqual(
      posts
        .map((post) => post.postId)
        .reverse()
        .slice(0, stored.length),
    );
    expect(await store.timelines.count(author)).toBeLessThan(cap + 10);

    // Backfill: a new follower gets the newest 40, exactly.
    await events.publish('follow.created', {
      followerId: late.id,
      followeeId: author,
      createdAt: new Date().toISOString(),
    });
    await waitForAcks(services, 2 + total);
    expect(await homeFeedIds(graph.url, late.token)).toEqual(newest);
    expect(await store.timelines.count(late.id)).toBe(cap);

    // Paging stops at the cap, even while the store holds a few more.
    let after: string | null = null;
    for (let page = 0; page < cap / 10; page++) {
      const response: any = await graphql(graph.url, HOME_FEED_IDS, {
        token: early.token,
        variables: { first: 10, after },
      });
      expect(response.data.homeFeed.pageInfo.hasNextPage).toBe(page < cap / 10 - 1);
      after = response.data.homeFeed.pageInfo.endCursor;
    }
    const beyond = await graphql(graph.url, HOME_FEED_IDS, { token: early.token, variables: { first: 10, after } });
    expect(beyond.data!.homeFeed).toEqual({ edges: [], pageInfo: { endCursor: null, hasNextPage: false } });
  });
});
