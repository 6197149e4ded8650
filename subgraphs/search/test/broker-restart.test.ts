import { EventPublisher } from '@micropost/testing';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEvent } from '@micropost/events';
import { startRabbitNode, type RunningRabbitNode } from '@micropost/infra';
import { createTestServices, waitFor, type TestServices } from '@micropost/testing';
import { startTestGraph, type TestGraph } from '@micropost/app/testing';
import { searchSubgraph } from '../src/subgraph.ts';
import { allPages, newId } from './helpers.ts';

let dir: string;
let broker: RunningRabbitNode;
let services: TestServices;
let graph: TestGraph;
let publisher: EventPublisher;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'search-broker-'));
  // A private broker this file may restart without disturbing the other test files.
  broker = await startRabbitNode({ dir, nodeName: `search_restart_${process.pid}`, log: () => {} });
  services = await createTestServices();
  const amqpUrl = `${broker.amqpUrl}/%2F`;
  graph = await startTestGraph(services.env({ AMQP_URL: amqpUrl }), [searchSubgraph]);
  publisher = await EventPublisher.connect(amqpUrl);
}, 180_000);
afterAll(async () => {
  await publisher?.close();
  await graph?.stop();
  await services?.dispose();
  await broker?.stop();
  rmSync(dir, { recursive: true, force: true });
}, 120_000);

describe('a broker restart', () => {
  it('in the middle of a stream of events loses none of them', async () => {
    const total = 60;
    const ids: string[] = [];
    let restarted: Promise<void> | undefined;
    for (let i = 0; i < total; i++) {
      const postId = newId();
      ids.push(postId);
      const event = createEvent('post.created', {
        postId,
        authorId: 'a1',
        body: `restart stream #survivor ${i}`,
        createdAt: new Date(Date.UTC(2026, 10, 3, 0, 0, i)).toISOString(),
      });
      // As the outbox relay does: retry until the broker confirms (a duplicate is harmless).
      await waitFor(
        async () => {
          await publisher.republish([event]);
          return true;
        },
        { timeoutMs: 90_000, intervalMs: 200, message: `event ${i} was never confirmed` },
      );
      if (i === total / 2) restarted = broker.restart();
    }
    await restarted;
    const found = await waitFor(
      async () => {
        const { ids: all } = await allPages(graph.url, 'searchPosts', '#survivor', 100);
        return all.length === total ? all : undefined;
      },
      {
        timeoutMs: 60_000,
        intervalMs: 250,
        message: 'not every event of the stream became searchable after the restart',
      },
    );
    expect(new Set(found)).toEqual(new Set(ids));
    expect(found).toEqual([...ids].reverse());
  }, 180_000);
});
