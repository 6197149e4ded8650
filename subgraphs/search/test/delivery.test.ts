import { EventPublisher } from '@micropost/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestServices, waitFor, type TestServices } from '@micropost/testing';
import { startTestGraph, type TestGraph } from '@micropost/app/testing';
import { createEvent, type EventEnvelope } from '@micropost/events';
import { searchSubgraph } from '../src/subgraph.ts';
import { newId, postIds, publishRaw, snapshot, userIds, waitForAcks } from './helpers.ts';

let services: TestServices;
let graph: TestGraph;
let publisher: EventPublisher;
/** Messages published onto each search queue so far, to wait for the broker's ack count. */
const published = { 'search.posts': 0, 'search.users': 0 };

beforeAll(async () => {
  services = await createTestServices();
  // Search alone: every event here is made up and published straight onto the exchange.
  graph = await startTestGraph(services.env(), [searchSubgraph]);
  publisher = await EventPublisher.connect(services.amqpUrl);
});
afterAll(async () => {
  await publisher?.close();
  await graph?.stop();
  await services?.dispose();
});

async function send(...events: EventEnvelope[]): Promise<void> {
  for (const event of events) {
    await publisher.republish([event]);
    published[event.type.startsWith('post.') ? 'search.posts' : 'search.users']++;
  }
}
/** Waits until search has acknowledged everything sent so far. */
const settled = () =>
  Promise.all([
    waitForAcks(services, 'search.posts', published['search.posts']),
    waitForAcks(services, 'search.users', published['search.users']),
  ]);

const postCreated = (postId: string, body: string, createdAt = new Date().toISOString()) =>
  createEvent('post.created', { postId, authorId: 'a1', body, createdAt });
const postDeleted = (postId: string) =>
  createEvent('post.deleted', { postId, authorId: 'a1', createdAt: new Date().toISOString() });
const registered = (userId: string, handle: string, displayName: string) =>
  createEvent('user.registered', { userId, handle, displayName, createdAt: new Date().toISOString() });
const updated = (userId: string, handle: string, displayName: string, revision: number) =>
  createEvent('user.updated', { userId, handle, displayName, bio: '', avatarUrl: null, revision });

describe('event delivery', () => {
  it('replaying every event twice changes nothing', async () => {
    const [p1, p2, p3, u1, u2] = [newId(), newId(), newId(), newId(), newId()];
    const stream = [
      postCreated(p1, 'replay one #again', '2026-11-02T10:00:00.000Z'),
      postCreated(p2, 'replay two', '2026-11-02T11:00:00.000Z'),
      postCreated(p3, 'replay three #again', '2026-11-02T12:00:00.000Z'),
      postDeleted(p2),
      registered(u1, 'replayer', 'Re Player'),
      updated(u1, 'replayer', 'Renamed Replayer', 2),
      registered(u2, 'replica', 'Re Plica'),
    ];
    await send(...stream);
    await settled();
    const expectPosts = [p3, p1];
    expect(await postIds(graph.url, 'replay')).toEqual(expectPosts);
    expect(await postIds(graph.url, '#again')).toEqual(expectPosts);
    expect(await userIds(graph.url, 'rep')).toEqual([u1, u2]);
    expect(await userIds(graph.url, 'renamed')).toEqual([u1]);
    const before = await snapshot(services);

    // The same envelopes (same ids) twice more, in reverse order the second time.
    await send(...stream);
    await send(...[...stream].reverse());
    await settled();
    expect(await snapshot(services)).toEqual(before);
    expect(await postIds(graph.url, 'replay')).toEqual(expectPosts);
    expect(await userIds(graph.url, 'rep')).toEqual([u1, u2]);
    expect(await userIds(graph.url, 'renamed replayer')).toEqual([u1]);
    expect(await userIds(graph.url, 'player')).toEqual([]);
  });

  it('a delete that overtakes its create leaves the post deleted', async () => {
    const postId = newId();
    await send(postDeleted(postId));
    await settled();
    await send(postCreated(postId, 'resurrection attempt'));
    await settled();
    // A control post published after it is visible, so the create was processed and ignored.
    const control = newId();
    await send(postCreated(control, 'resurrection control'));
    await waitFor(async () => (await postIds(graph.url, 'resurrection control')).length === 1, {
      message: 'control post never indexed',
    });
    expect(await postIds(graph.url, 'resurrection')).toEqual([control]);
  });

  it('ignores a stale user.updated', async () => {
    const userId = newId();
    await send(registered(userId, 'stale_user', 'First Name'));
    await send(updated(userId, 'stale_user', 'Third Name', 3));
    await settled();
    await send(updated(userId, 'stale_user', 'Second Name', 2));
    await settled();
    expect(await userIds(graph.url, 'third')).toEqual([userId]);
    expect(await userIds(graph.url, 'second')).toEqual([]);
    expect(await userIds(graph.url, 'first')).toEqual([]);
    // A registration that arrives after an update is stale too.
    const late = newId();
    await send(updated(late, 'late_user', 'Updated Name', 2));
    await settled();
    await send(registered(late, 'late_user', 'Registered Name'));
    await settled();
    expect(await userIds(graph.url, 'updated')).toEqual([late]);
    expect(await userIds(graph.url, 'registered')).toEqual([]);
  });

  it('dead-letters a poison message and carries on', async () => {
    const dlq = async () =>
      (await services.rabbit.getMessages(services.vhost, 'search.posts.dlq', 100)).map((message) =>
        message.payload_encoding === 'base64' ? Buffer.from(message.payload, 'base64').toString() : message.payload,
      );
    // Not even JSON: refused at once.
    await publishRaw(services.amqpUrl, 'post.created', Buffer.from('{ this is not json'));
    // A valid envelope whose handler can never succeed (createdAt is no date): retried, then dead-lettered.
    const badDate = postCreated(newId(), 'poison with a bad date', 'not a date');
    await send(badDate);
    const good = postCreated(newId(), 'antidote arrives');
    await send(good);
    await waitFor(async () => (await postIds(graph.url, 'antidote')).length === 1, {
      message: 'the consumer stopped after the poison',
    });
    await waitFor(
      async () => {
        const dead = await dlq();
        return dead.some((body) => body.includes('this is not json')) && dead.some((body) => body.includes(badDate.id));
      },
      { timeoutMs: 20_000, message: 'the poison messages never reached search.posts.dlq' },
    );
    expect(await postIds(graph.url, 'bad date')).toEqual([]);
    published['search.posts'] -= 1; // the bad date was dead-lettered, not acknowledged (the raw one was never counted)
  });

  it('makes each post searchable through the router, and reports how long it took', async () => {
    const lags: number[] = [];
    for (let i = 0; i < 15; i++) {
      const word = `lagprobe${i}x${newId().slice(0, 6)}`;
      const started = performance.now();
      await send(postCreated(newId(), `measuring ${word}`));
      await waitFor(async () => (await postIds(graph.url, word)).length === 1, {
        intervalMs: 5,
        message: `${word} never searchable`,
      });
      lags.push(performance.now() - started);
    }
    lags.sort((a, b) => a - b);
    const median = lags[Math.floor(lags.length / 2)]!;
    const p90 = lags[Math.floor(lags.length * 0.9)]!;
    console.log(
      `search lag (publish confirmed → searchable through the router): median ${median.toFixed(1)} ms, p90 ${p90.toFixed(1)} ms, max ${lags.at(-1)!.toFixed(1)} ms`,
    );
  });
});
