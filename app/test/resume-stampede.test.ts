import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from 'graphql-ws';
import { createTestServices, graphql, registerAccount, waitFor, type TestServices } from '@micropost/testing';
import { collect, startServerProcess, subscriptionClient, type ServerProcess } from './server-process.ts';

// Many clients resuming at once on one server (as after the other server died) while live events
// keep flowing: every replay completes, and live delivery to the others is not held up.
const RESUMING = 300;
const MISSED = 20;

let services: TestServices;
let server: ServerProcess;
const clients: Client[] = [];

beforeAll(async () => {
  services = await createTestServices();
  // Every client here comes from one address: room above the per-address WebSocket limit.
  server = await startServerProcess('server-b', services.env({ RATE_LIMIT_WS_CONNECTIONS_PER_MINUTE: '10000' }));
}, 120_000);
afterAll(async () => {
  await Promise.all(clients.map((client) => client.dispose()));
  await server?.stop();
  await services?.dispose();
});

const open = (query: string, variables: Record<string, unknown>) => {
  const client = subscriptionClient(server.url);
  clients.push(client);
  return collect<{ postCreated: { id: string } }>(client, query, variables);
};

const liveSubscriptions = async (): Promise<number> =>
  ((await (await fetch(`http://127.0.0.1:${server.port}/health`)).json()) as { liveSubscriptions: number })
    .liveSubscriptions;

const createPost = async (token: string, body: string) => {
  const response = await graphql<{ createPost: { id: string } }>(
    server.url,
    `mutation($b: String!) { createPost(body: $b) { id } }`,
    { token, variables: { b: body } },
  );
  if (!response.data) throw new Error(JSON.stringify(response.errors));
  return response.data.createPost.id;
};

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
};

describe(`${RESUMING} subscribers resuming at once`, () => {
  it('all replay what they missed while live delivery to others goes on', async () => {
    const author = await registerAccount(server.url, 'stampede_author');
    const other = await registerAccount(server.url, 'stampede_other');
    const query = `subscription($id: ID, $after: String) { postCreated(authorId: $id, after: $after) { id } }`;
    const witness = open(query, { id: author.id });
    await waitFor(async () => (await liveSubscriptions()) === 1, { message: 'the witness never subscribed' });
    await createPost(author.token, 'before');
    const cursor = (await witness.nth(1)) as { extensions?: { cursor?: string } };
    const missed: string[] = [];
    for (let n = 0; n < MISSED; n++) missed.push(await createPost(author.token, `missed ${n}`));
    await witness.nth(MISSED + 1);

    // Live traffic for someone else, timed from createPost's return to delivery.
    const live = open(query, { id: other.id });
    await waitFor(async () => (await liveSubscriptions()) === 2, { message: 'the live subscriber never subscribed' });
    const sentAt = new Map<string, number>();
    let posting = true;
    const posts = (async () => {
      for (let n = 0; posting; n++) {
        const started = performance.now();
        sentAt.set(await createPost(other.token, `live ${n}`), performance.now());
        await sleep(Math.max(0, 100 - (performance.now() - started)));
      }
    })();

    const started = performance.now();
    const resuming = Array.from({ length: RESUMING }, () =>
      open(query, { id: author.id, after: cursor.extensions!.cursor }),
    );
    await waitFor(async () => resuming.every((subscription) => subscription.received.length >= MISSED), {
      timeoutMs: 120_000,
      intervalMs: 100,
      message: 'not every resuming subscriber got what it missed',
    });
    const replayMs = performance.now() - started;
    posting = false;
    await posts;
    await waitFor(
      async () => [...sentAt.keys()].every((id) => live.received.some((r) => r.payload.data?.postCreated.id === id)),
      {
        message: 'live posts went missing during the stampede',
      },
    );

    for (const subscription of resuming)
      expect(subscription.received.map((r) => r.payload.data?.postCreated.id)).toEqual(missed);
    const latencies = live.received
      .map((r) => {
        const id = r.payload.data?.postCreated.id;
        return id && sentAt.has(id) ? r.at - sentAt.get(id)! : undefined;
      })
      .filter((ms): ms is number => ms !== undefined);
    const figures = {
      resuming: RESUMING,
      missedEach: MISSED,
      replayAllMs: Math.round(replayMs),
      livePosts: latencies.length,
      liveP50Ms: Math.round(percentile(latencies, 50)),
      liveP99Ms: Math.round(percentile(latencies, 99)),
    };
    console.log(`[resume stampede] ${JSON.stringify(figures)}`);
    expect(latencies.length).toBeGreaterThan(3);
    // Generous for a shared 2-core machine; a stalled live path would take the whole stampede.
    expect(figures.liveP99Ms).toBeLessThan(Math.max(2_000, replayMs / 2));
  }, 180_000);
});
