import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MongoClient, type Db } from 'mongodb';
import { createEvent, type EventEnvelope, type EventType, type EventData } from '@micropost/events';
import { createLogger } from '@micropost/logger';
import { createTestServices, registerAccount, waitFor, type TestServices } from '@micropost/testing';
import { startTestGraph, type TestGraph } from '@micropost/app/testing';
import { usersSubgraph } from '@micropost/users';
import { EVENT_RETENTION_MS, FeedEventLog } from '../src/event-log.ts';
import { FeedProjector } from '../src/event-handlers.ts';
import { AuthorPostProjection, FollowerProjection, TOMBSTONE_RETENTION_MS } from '../src/projections.ts';
import { TimelineStore } from '../src/timeline-store.ts';
import { feedSubgraph } from '../src/subgraph.ts';
import {
  acknowledged,
  EventPublisher,
  FeedUpdates,
  homeFeedIds,
  newId,
  openFeedStore,
  postData,
  waitForFeed,
} from './support.ts';

let services: TestServices;
let graph: TestGraph;
let events: EventPublisher;
let updates: FeedUpdates;
let store: Awaited<ReturnType<typeof openFeedStore>>;
/** Every event this file put on the feed's queue: all of them must be acknowledged before a check. */
let published = 0;

beforeAll(async () => {
  services = await createTestServices();
  graph = await startTestGraph(services.env(), [usersSubgraph, feedSubgraph]);
  events = await EventPublisher.connect(services.amqpUrl);
  updates = await FeedUpdates.listen(services.amqpUrl);
  store = await openFeedStore(services);
});
afterAll(async () => {
  await store?.client.close();
  await updates?.close();
  await events?.close();
  await graph?.stop();
  await services?.dispose();
});

async function publish<T extends EventType>(type: T, data: EventData<T>, occurredAt?: Date): Promise<EventEnvelope> {
  published++;
  return (await events.publish(type, data, occurredAt)) as EventEnvelope;
}

async function republish(envelopes: readonly EventEnvelope[]): Promise<void> {
  published += envelopes.length;
  await events.republish(envelopes);
}

/** Every event published so far has been handled and acknowledged. */
async function allHandled(): Promise<void> {
  await waitFor(async () => (await acknowledged(services)) >= published, {
    message: `the feed did not acknowledge all ${published} events`,
    timeoutMs: 20_000,
  });
}

/**
 * Waits until every `feed.updated` caused so far has arrived: a fresh post goes through after all
 * handled events, and the outbox relay publishes in the order batches became due.
 */
async function allAnnounced(): Promise<void> {
  await allHandled();
  const sentinel = postData(newId(), 0);
  await publish('post.created', sentinel);
  await waitFor(async () => updates.forPost(sentinel.postId).added.length > 0, {
    message: 'the sentinel feed.updated did not arrive',
  });
}

describe('redelivered and reordered events', () => {
  it('replaying every event twice changes no timeline and announces nothing again', async () => {
    const viewer = await registerAccount(graph.url, 'replayer');
    const [a1, a2] = [newId(), newId()];
    const t = (seconds: number) => new Date(Date.now() - 60_000 + seconds * 1000);
    const stream: EventEnvelope[] = [];
    const p = Array.from({ length: 6 }, (_, i) => postData(i % 2 === 0 ? a1 : a2, i * 10));
    stream.push(
      await publish('follow.created', { followerId: viewer.id, followeeId: a1, createdAt: t(1).toISOString() }, t(1)),
    );
    for (const post of p) stream.push(await publish('post.created', post));
    stream.push(
      await publish('follow.created', { followerId: viewer.id, followeeId: a2, createdAt: t(2).toISOString() }, t(2)),
    );
    stream.push(await publish('post.deleted', { postId: p[0]!.postId, authorId: a1, createdAt: p[0]!.createdAt }));
    stream.push(await publish('follow.deleted', { followerId: viewer.id, followeeId: a2 }, t(3)));
    stream.push(await publish('post.created', postData(viewer.id, 70)));

    const expected = [stream.at(-1)!.data as EventData<'post.created'>, p[4]!, p[2]!].map((post) => post.postId);
    await waitForFeed(graph.url, viewer.token, expected, 'the stream did not produce the expected feed');
    await allAnnounced();
    const owners = [viewer.id, a1, a2];
    const before = await Promise.all(owners.map((owner) => store.timelines.all(owner)));
    const announced = updates.received.length;

    await republish(stream);
    await republish([...stream].reverse());
    await allAnnounced();

    expect(await Promise.all(owners.map((owner) => store.timelines.all(owner)))).toEqual(before);
    expect(await homeFeedIds(graph.url, viewer.token)).toEqual(expected);
    // Only the second sentinel's announcement is new.
    expect(updates.received.slice(announced).map((message) => message.data.authorId)).toHaveLength(1);
  });

  it('does not let a post come back when its delete overtakes its create', async () => {
    const viewer = await registerAccount(graph.url, 'overtaken');
    const author = newId();
    await publish('follow.created', { followerId: viewer.id, followeeId: author, createdAt: new Date().toISOString() });
    const doomed = postData(author, 10);
    const kept = postData(author, 20);
    await publish('post.deleted', { postId: doomed.postId, authorId: author, createdAt: doomed.createdAt });
    await publish('post.created', doomed);
    await publish('post.created', kept);
    await allAnnounced();
    expect(await homeFeedIds(graph.url, viewer.token)).toEqual([kept.postId]);
    expect(await store.timelines.all(author)).toEqual([expect.objectContaining({ postId: kept.postId })]);
    expect(updates.forPost(doomed.postId)).toEqual({ added: [], removed: [] });

    // A later follower is not backfilled with it either.
    const second = await registerAccount(graph.url, 'overtaken_too');
    await publish('follow.created', { followerId: second.id, followeeId: author, createdAt: new Date().toISOString() });
    await waitForFeed(
      graph.url,
      second.token,
      [kept.postId],
      'the backfill brought the deleted post back (or missed the kept one)',
    );
  });

  it('does not let a late follow.created resurrect a follow its follow.deleted ended', async () => {
    const viewer = await registerAccount(graph.url, 'late_follow');
    const author = newId();
    const post = postData(author, 10);
    await publish('post.created', post);
    const followedAt = new Date(Date.now() - 5_000);
    await publish(
      'follow.deleted',
      { followerId: viewer.id, followeeId: author },
      new Date(followedAt.getTime() + 1_000),
    );
    await publish(
      'follow.created',
      { followerId: viewer.id, followeeId: author, createdAt: followedAt.toISOString() },
      followedAt,
    );
    const later = postData(author, 20);
    await publish('post.created', later);
    await allAnnounced();
    expect(await homeFeedIds(graph.url, viewer.token)).toEqual([]);
    expect(updates.forPost(later.postId).added).toEqual([author]);

    // A follow that really is newer still works.
    await publish('follow.created', { followerId: viewer.id, followeeId: author, createdAt: new Date().toISOString() });
    await waitForFeed(graph.url, viewer.token, [later.postId, post.postId], 'a newer follow was ignored');
  });
});

describe('the projector', () => {
  let client: MongoClient;
  beforeAll(async () => {
    client = new MongoClient(services.mongoUrl, { maxPoolSize: 1 });
    await client.connect();
  });
  afterAll(async () => client?.close());

  async function projectorOn(db: Db) {
    const timelines = await TimelineStore.open(db);
    const projector = new FeedProjector({
      timelines,
      followers: await FollowerProjection.open(db),
      authorPosts: await AuthorPostProjection.open(db),
      log: await FeedEventLog.open(db),
      afterRelease: () => {},
      logger: createLogger('test', 'silent'),
    });
    return { timelines, projector, db };
  }

  /** A small world: 4 users, posts, deletes, follows, unfollows and re-follows with distinct times. */
  function world() {
    const users = ['u0', 'u1', 'u2', 'u3'].map(() => newId());
    const [u0, u1, u2, u3] = users as [string, string, string, string];
    const at = (s: number) => new Date(Date.UTC(2026, 5, 1) + s * 1000);
    const evt = <T extends EventType>(type: T, data: EventData<T>, time: Date): EventEnvelope =>
      ({ ...createEvent(type, data), occurredAt: time.toISOString() }) as EventEnvelope;
    const post = (author: string, s: number) => evt('post.created', postData(author, s), at(s));
    const posts = [
      post(u1, 1),
      post(u1, 2),
      post(u2, 3),
      post(u3, 4),
      post(u0, 5),
      post(u2, 6),
      post(u1, 7),
      post(u3, 8),
    ];
    const follow = (a: string, b: string, s: number) =>
      evt('follow.created', { followerId: a, followeeId: b, createdAt: at(s).toISOString() }, at(s));
    const unfollow = (a: string, b: string, s: number) =>
      evt('follow.deleted', { followerId: a, followeeId: b }, at(s));
    const del = (e: EventEnvelope, s: number) => {
      const data = e.data as EventData<'post.created'>;
      return evt('post.deleted', { postId: data.postId, authorId: data.authorId, createdAt: data.createdAt }, at(s));
    };
    const stream = [
      ...posts,
      follow(u0, u1, 10),
      follow(u0, u2, 11),
      follow(u0, u3, 12),
      unfollow(u0, u3, 13),
      follow(u1, u2, 14),
      unfollow(u1, u2, 15),
      follow(u1, u2, 16),
      follow(u2, u0, 17),
      del(posts[1]!, 18),
      del(posts[5]!, 19),
    ];
    // u0 follows u1 and u2; u1 follows u2; u2 follows u0; posts[1] and posts[5] deleted.
    const live = posts.filter((_, i) => i !== 1 && i !== 5).map((e) => e.data as EventData<'post.created'>);
    const follows: Record<string, string[]> = { [u0]: [u1, u2], [u1]: [u2], [u2]: [u0], [u3]: [] };
    const expected = Object.fromEntries(
      users.map((owner) => [
        owner,
        live
          .filter((p) => p.authorId === owner || follows[owner]!.includes(p.authorId))
          .sort((x, y) => y.createdAt.localeCompare(x.createdAt))
          .map((p) => p.postId),
      ]),
    );
    return { users, stream, expected };
  }

  async function timelinesOf(timelines: TimelineStore, users: string[]) {
    return Object.fromEntries(
      await Promise.all(
        users.map(async (owner) => [owner, (await timelines.all(owner)).map((e) => e.postId)] as const),
      ),
    );
  }

  /** A deterministic shuffle. */
  function shuffled<T>(items: readonly T[], seed: number): T[] {
    const result = [...items];
    let state = seed;
    for (let i = result.length - 1; i > 0; i--) {
      state = (state * 1103515245 + 12345) % 2 ** 31;
      const j = state % (i + 1);
      [result[i], result[j]] = [result[j]!, result[i]!];
    }
    return result;
  }

  it('reaches the same timelines in any order, with every event applied twice, even concurrently', async () => {
    const { users, stream, expected } = world();
    const inOrder = await projectorOn(client.db(`${services.dbPrefix}proj_order`));
    for (const event of stream) await inOrder.projector.handle(event);
    expect(await timelinesOf(inOrder.timelines, users)).toEqual(expected);

    for (const seed of [1, 2, 3]) {
      const twice = shuffled([...stream, ...stream], seed);
      const sequential = await projectorOn(client.db(`${services.dbPrefix}proj_seq_${seed}`));
      // `apply` skips the handled-event check: the handlers themselves must be idempotent.
      for (const event of twice) await sequential.projector.apply(event);
      expect(await timelinesOf(sequential.timelines, users), `sequential, seed ${seed}`).toEqual(expected);

      const concurrent = await projectorOn(client.db(`${services.dbPrefix}proj_conc_${seed}`));
      await Promise.all(twice.map((event) => concurrent.projector.handle(event)));
      expect(await timelinesOf(concurrent.timelines, users), `concurrent, seed ${seed}`).toEqual(expected);
    }
  });

  it('announces each change once, to exactly who gained or lost the post, however often an event is handled', async () => {
    const { users, stream } = world();
    const { projector, db } = await projectorOn(client.db(`${services.dbPrefix}proj_announce`));
    for (const event of [...stream, ...stream]) await projector.handle(event);
    // No relay runs here, so every released batch is still in the outbox collection.
    const batches = await db.collection('feed_outbox').find({}).toArray();
    const announced = batches.flatMap((batch) => (batch.outbox as EventEnvelope<'feed.updated'>[]).map((e) => e.data));
    const post = (i: number) => stream[i]!.data as EventData<'post.created'>;
    const [u0, u1, u2] = users as [string, string, string];
    const find = (postId: string, kind: string) =>
      announced
        .filter((u) => u.postId === postId && u.kind === kind)
        .flatMap((u) => u.userIds)
        .sort();
    // posts[0] by u1: the author at creation, u0 by backfill when following u1.
    expect(find(post(0).postId, 'added')).toEqual([u1, u0].sort());
    // posts[1] by u1, deleted: removed from both.
    expect(find(post(1).postId, 'removed')).toEqual([u1, u0].sort());
    // posts[2] by u2: u2, then u0 (backfill) and u1 (twice: follow, unfollow, follow again).
    expect(find(post(2).postId, 'added')).toEqual([u2, u0, u1, u1].sort());
    expect(find(post(2).postId, 'removed')).toEqual([u1]);
    // Events handled twice are recorded once.
    expect(batches.every((batch) => batch.released === true && batch.outboxDueAt instanceof Date)).toBe(true);
    const markers = await db.collection('handled_events').countDocuments({});
    expect(markers).toBe(stream.length);

    // The periodic clean-up forgets markers (and tombstones) only once they are past retention.
    await projector.cleanUp();
    expect(await db.collection('handled_events').countDocuments({})).toBe(stream.length);
    await projector.cleanUp(Date.now() + EVENT_RETENTION_MS + 60_000);
    expect(await db.collection('handled_events').countDocuments({})).toBe(0);
    expect(await db.collection('deleted_posts').countDocuments({})).toBe(2);
    await projector.cleanUp(Date.now() + TOMBSTONE_RETENTION_MS + 60_000);
    expect(await db.collection('deleted_posts').countDocuments({})).toBe(0);
  });
});
