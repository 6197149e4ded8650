import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql, registerAccount, waitFor } from '@micropost/testing';
import { liveSubscriptions, type ServerProcess, startTwoServers, type TwoServers } from './server-process.ts';

// The server a subscriber is on is SIGKILLed while an author posts every 100 ms through the
// balancer; the subscriber comes back through the balancer with its last cursor.
let servers: TwoServers;
let a: ServerProcess;
let b: ServerProcess;
let url: string;

beforeAll(async () => {
  servers = await startTwoServers({ balancer: true });
  ({ a, b, url } = servers);
}, 120_000);
afterAll(() => servers?.stop());

/** A client as the README describes it: keeps the last cursor and, when its socket dies, subscribes again with it. */
function resilientSubscriber(query: string, variables: Record<string, unknown>) {
  const received: string[] = [];
  let cursor: string | null = null;
  let stopped = false;
  const open = () => {
    if (stopped) return;
    const client = servers.client(url);
    client.subscribe<{ postCreated: { id: string } }>(
      { query, variables: { ...variables, after: cursor } },
      {
        next: (result) => {
          if (result.data) received.push(result.data.postCreated.id);
          cursor = (result.extensions as { cursor?: string } | undefined)?.cursor ?? cursor;
        },
        error: () => void sleep(200).then(open),
        complete: () => {},
      },
    );
  };
  open();
  return {
    received,
    stop: () => void (stopped = true),
  };
}

describe('a subscriber whose server is killed', () => {
  it('gets every post whose createPost returned exactly once, after resuming through the balancer', async () => {
    const author = await registerAccount(url, 'kill_author');
    const subscriber = resilientSubscriber(
      `subscription($id: ID, $after: String) { postCreated(authorId: $id, after: $after) { id } }`,
      { id: author.id },
    );
    await waitFor(async () => (await liveSubscriptions(a)) + (await liveSubscriptions(b)) === 1, {
      message: 'the subscription never opened',
    });
    const victim = (await liveSubscriptions(a)) === 1 ? a : b;

    const created: string[] = [];
    let posting = true;
    const posts = (async () => {
      for (let n = 0; posting; n++) {
        const started = Date.now();
        const response = await graphql<{ createPost: { id: string } }>(
          url,
          `mutation($b: String!) { createPost(body: $b) { id } }`,
          { token: author.token, variables: { b: `post ${n}` } },
        ).catch(() => null);
        if (response?.data?.createPost) created.push(response.data.createPost.id);
        await sleep(Math.max(0, 100 - (Date.now() - started)));
      }
    })();
    await waitFor(async () => subscriber.received.length >= 5, { message: 'no post arrived before the kill' });
    await victim.kill();
    const atKill = created.length;
    // The author keeps posting through the surviving server.
    await waitFor(async () => created.length >= atKill + 10, {
      timeoutMs: 30_000,
      message: 'posting did not go on through the surviving server',
    });
    posting = false;
    await posts;

    // An event the dead server had claimed but not published goes out when its outbox lease ends.
    await waitFor(async () => created.every((id) => subscriber.received.includes(id)), {
      timeoutMs: 60_000,
      message: `missing after the resume: ${JSON.stringify(created.filter((id) => !subscriber.received.includes(id)))}`,
    });
    subscriber.stop();
    expect(new Set(subscriber.received).size).toBe(subscriber.received.length);
  }, 120_000);
});
