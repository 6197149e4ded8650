import WebSocket from 'ws';
import { createClient, type Client } from 'graphql-ws';
import { AccessTokens } from '@micropost/auth';
import { gql } from '../load.ts';
import { percentile, say, sleep, until } from '../progress.ts';
import type { SeedResult } from '../seed.ts';
import { settleQueues, type Stack } from '../stack.ts';
import { liveSubscriptions } from './live.ts';

export interface ResumeResult {
  /** Clients resuming at once on server B, each from the same cursor. */
  resuming: number;
  /** Events each of them had missed. */
  missedEach: number;
  /** From the first resuming subscribe to the last client holding everything it missed. */
  replayAllMs: number;
  /** Clients that did not get exactly what they missed, in order. */
  wrong: number;
  /** Live posts of another author during the stampede, and their delivery after createPost returned. */
  livePosts: number;
  liveP50Ms: number;
  liveP99Ms: number;
  liveLost: number;
}

const POST_CREATED = `subscription($id: ID, $after: String) { postCreated(authorId: $id, after: $after) { id } }`;
const CREATE = 'mutation Create($body: String!) { createPost(body: $body) { id } }';

type Next = { data?: { postCreated?: { id: string } }; extensions?: { cursor?: string } };

/**
 * Scenario 6: N clients resume at once on server B from one cursor (as after the other server
 * died), each replaying the same missed posts from the event stream, while another author keeps
 * posting every 100 ms to a live subscriber on B: how long the replays take, and whether live
 * delivery to others is held up meanwhile.
 */
export async function resumeStampede(
  stack: Stack,
  seeded: SeedResult,
  config: { resuming: number; missed: number; timeoutMs: number },
): Promise<ResumeResult> {
  await settleQueues(stack, 60_000);
  const tokens = new AccessTokens(stack.env.JWT_SECRET!, 3600);
  const [author, other] = [seeded.all[3]!, seeded.all[4]!];
  const [authorToken, otherToken] = await Promise.all([tokens.issue(author.id), tokens.issue(other.id)]);
  const clients: Client[] = [];
  const open = () => {
    const client = createClient({
      url: stack.b.url.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      lazy: true,
    });
    clients.push(client);
    return client;
  };
  /** Subscribes on B: what arrives, with when. */
  const subscribe = (variables: Record<string, unknown>) => {
    const received: { at: number; next: Next }[] = [];
    open().subscribe(
      { query: POST_CREATED, variables },
      {
        next: (next) => void received.push({ at: performance.now(), next: next as Next }),
        error: () => {},
        complete: () => {},
      },
    );
    return received;
  };
  /** subscribe(), resolved once B has registered it (or it already delivered). */
  const subscribed = async (variables: Record<string, unknown>) => {
    const before = await liveSubscriptions(stack.b.port);
    const received = subscribe(variables);
    await until(
      async () => received.length > 0 || (await liveSubscriptions(stack.b.port)) > before,
      30_000,
      'a subscription on server B',
      100,
    );
    return received;
  };
  const post = async (token: string, body: string) =>
    (await gql<{ createPost: { id: string } }>(stack.a.url, CREATE, { body }, token)).createPost.id;

  try {
    // A cursor, then the posts the resuming clients missed.
    const witness = await subscribed({ id: author.id });
    await post(authorToken, 'before');
    await until(() => witness.length >= 1, 30_000, 'a cursor');
    const cursor = witness[0]!.next.extensions?.cursor;
    if (!cursor) throw new Error('no cursor in the first event');
    const missed: string[] = [];
    for (let n = 0; n < config.missed; n++) missed.push(await post(authorToken, `missed ${n}`));
    await until(async () => witness.length >= config.missed + 1, 30_000, 'the missed posts at the witness');

    // Live traffic for someone else, every 100 ms, timed from createPost's return.
    const live = await subscribed({ id: other.id });
    const sentAt = new Map<string, number>();
    let posting = true;
    const posting$ = (async () => {
      for (let n = 0; posting; n++) {
        const started = performance.now();
        sentAt.set(await post(otherToken, `live ${n}`), performance.now());
        await sleep(Math.max(0, 100 - (performance.now() - started)));
      }
    })();

    const t0 = performance.now();
    // All at once: each subscribes as soon as its socket opens.
    const resuming = Array.from({ length: config.resuming }, () => subscribe({ id: author.id, after: cursor }));
    await until(
      async () => resuming.every((received) => received.length >= config.missed),
      config.timeoutMs,
      `${config.resuming} replays`,
      100,
    );
    const replayAllMs = performance.now() - t0;
    posting = false;
    await posting$;
    const liveIds = (id: string) => live.some((r) => r.next.data?.postCreated?.id === id);
    await until(async () => [...sentAt.keys()].every(liveIds), 30_000, 'the live posts').catch(() => {});

    const expected = JSON.stringify(missed);
    const wrong = resuming.filter(
      (received) => JSON.stringify(received.map((r) => r.next.data?.postCreated?.id)) !== expected,
    ).length;
    const latencies = live
      .flatMap((r) => {
        const id = r.next.data?.postCreated?.id;
        const sent = id === undefined ? undefined : sentAt.get(id);
        return sent === undefined ? [] : [r.at - sent];
      })
      .sort((x, y) => x - y);
    const result: ResumeResult = {
      resuming: config.resuming,
      missedEach: config.missed,
      replayAllMs: Math.round(replayAllMs),
      wrong,
      livePosts: sentAt.size,
      liveP50Ms: Math.round(percentile(latencies, 50)),
      liveP99Ms: Math.round(percentile(latencies, 99)),
      liveLost: sentAt.size - latencies.length,
    };
    say(
      `resume: ${result.resuming} clients replayed ${result.missedEach} events each in ${result.replayAllMs} ms ` +
        `(${wrong} wrong); live meanwhile p50 ${result.liveP50Ms} ms, p99 ${result.liveP99Ms} ms, lost ${result.liveLost} of ${result.livePosts}`,
    );
    return result;
  } finally {
    await Promise.all(clients.map((client) => client.dispose()));
  }
}
