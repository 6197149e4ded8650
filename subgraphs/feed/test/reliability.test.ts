import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import amqp from 'amqplib';
import { startRabbitNode, type RunningRabbitNode } from '@micropost/infra';
import { createTestServices, registerAccount, waitFor, type TestServices } from '@micropost/testing';
import { startTestGraph, type TestGraph } from '@micropost/app/testing';
import { usersSubgraph } from '@micropost/users';
import { feedSubgraph } from '../src/subgraph.ts';
import { EXCHANGE, EventPublisher, QUEUE, newId, openFeedStore, postData, waitForFeed } from './support.ts';

let services: TestServices;

beforeAll(async () => {
  services = await createTestServices();
});
afterAll(async () => {
  await services?.dispose();
});

describe('poison messages', () => {
  let graph: TestGraph;
  let events: EventPublisher;
  beforeAll(async () => {
    graph = await startTestGraph(services.env(), [usersSubgraph, feedSubgraph]);
    events = await EventPublisher.connect(services.amqpUrl);
  });
  afterAll(async () => {
    await events?.close();
    await graph?.stop();
  });

  it(`go to ${QUEUE}.dlq while the consumer carries on with the next events`, async () => {
    const viewer = await registerAccount(graph.url, 'poisoned');
    const author = newId();
    await events.publish('follow.created', {
      followerId: viewer.id,
      followeeId: author,
      createdAt: new Date().toISOString(),
    });

    // Not JSON at all, then an event whose handler always fails (a createdAt that is no time).
    const connection = await amqp.connect(services.amqpUrl);
    try {
      const channel = await connection.createConfirmChannel();
      channel.publish(EXCHANGE, 'post.created', Buffer.from('{"id": "half a mess'), { persistent: true });
      await channel.waitForConfirms();
    } finally {
      await connection.close();
    }
    const failing = await events.publish('post.created', { ...postData(author, 1), createdAt: 'yesterday-ish' });
    const good = [postData(author, 2), postData(author, 3)];
    for (const post of good) await events.publish('post.created', post);

    await waitForFeed(
      graph.url,
      viewer.token,
      [good[1]!.postId, good[0]!.postId],
      'the events after the poison were not handled',
    );
    const deadLetters = await waitFor(
      async () => {
        const messages = await services.rabbit.getMessages(services.vhost, `${QUEUE}.dlq`, 10).catch(() => []);
        return messages.length === 2 && messages;
      },
      { message: `both poison messages should be in ${QUEUE}.dlq`, timeoutMs: 20_000 },
    );
    const payloads = deadLetters.map((message) =>
      message.payload_encoding === 'base64' ? Buffer.from(message.payload, 'base64').toString() : message.payload,
    );
    expect(payloads).toContain('{"id": "half a mess');
    expect(payloads.some((payload) => payload.includes(failing.id))).toBe(true);
    // And the consumer still takes new events.
    const after = postData(author, 4);
    await events.publish('post.created', after);
    await waitForFeed(
      graph.url,
      viewer.token,
      [after.postId, good[1]!.postId, good[0]!.postId],
      'the consumer stopped after the poison',
    );
  });
});

describe('a broker restart', () => {
  let node: RunningRabbitNode;
  let dir: string;
  let graph: TestGraph;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'feed-rabbit-'));
    node = await startRabbitNode({ dir, log: () => {} });
    graph = await startTestGraph(services.env({ AMQP_URL: node.amqpUrl }), [usersSubgraph, feedSubgraph]);
  }, 120_000);
  afterAll(async () => {
    await graph?.stop();
    await node?.stop();
    rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it('in the middle of a stream of events loses none of them', { timeout: 180_000 }, async () => {
    const events = await EventPublisher.connect(node.amqpUrl);
    const store = await openFeedStore(services);
    try {
      const viewer = await registerAccount(graph.url, 'restarted');
      const author = newId();
      await events.publish('follow.created', {
        followerId: viewer.id,
        followeeId: author,
        createdAt: new Date().toISOString(),
      });
      // A steady stream that runs until 20 events after the restart: a publish that is not
      // confirmed is retried (the same envelope: a duplicate is harmless to an idempotent consumer).
      const posts: ReturnType<typeof postData>[] = [];
      let restarted = false;
      let afterRestart = 0;
      let unconfirmed = 0;
      const stream = (async () => {
        for (let i = 0; afterRestart < 20; i++) {
          const post = postData(i % 4 === 0 ? viewer.id : author, i);
          for (;;) {
            try {
              await events.publish('post.created', post);
              break;
            } catch {
              unconfirmed++;
              await sleep(100);
            }
          }
          posts.push(post);
          if (restarted) afterRestart++;
          await sleep(20);
        }
      })();
      await waitFor(async () => posts.length >= 20, { message: 'the stream did not start' });
      await node.restart();
      restarted = true;
      await stream;
      console.info(
        `broker restart test: ${posts.length} posts, ${unconfirmed} publish attempts refused during the outage`,
      );

      const expected = posts.map((post) => post.postId).reverse();
      await waitForFeed(graph.url, viewer.token, expected, 'posts were lost across the broker restart', 60_000);
      // And every feed.updated they caused left the outbox (published after the broker came back).
      // (The relay deletes each batch once published, so an empty collection means all went out.)
      const outbox = store.client.db(`${services.dbPrefix}feed`).collection('feed_outbox');
      await waitFor(async () => (await outbox.countDocuments({})) === 0, {
        message: 'feed.updated events stayed in the outbox',
        timeoutMs: 30_000,
      });
    } finally {
      await store.client.close();
      await events.close();
    }
  });
});
