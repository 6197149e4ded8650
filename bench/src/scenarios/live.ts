import WebSocket from 'ws';
import { createClient, type Client } from 'graphql-ws';
import { gql } from '../load.ts';
import { percentile, say, sleep, until } from '../progress.ts';
import type { SeedResult } from '../seed.ts';
import { settleQueues, type Stack } from '../stack.ts';
import { AccessTokens } from '@micropost/auth';

export interface LiveRun {
  subscriptions: number;
  sockets: number;
  distinctUsers: number;
  posts: number;
  expectedMessages: number;
  received: number;
  lost: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  subscribeSeconds: number;
  rssBeforeMiB: number;
  rssAfterMiB: number;
  kibPerSubscription: number;
}

const FEED_UPDATED = 'subscription { feedUpdated { kind postId post { id body author { handle } } } }';
const CREATE = 'mutation Create($body: String!) { createPost(body: $body) { id } }';

/** Open subscriptions on the server at `port`, from its /health. */
export const liveSubscriptions = async (port: number): Promise<number> =>
  ((await (await fetch(`http://127.0.0.1:${port}/health`)).json()) as { liveSubscriptions: number }).liveSubscriptions;

/**
 * Scenario 4: N feedUpdated subscriptions on server B (directly, not through the balancer), by
 * followers of the mid fan-out author, one socket per follower (graphql-ws multiplexes a user's
 * subscriptions on it), subscriptions spread round-robin when N exceeds the followers; the author
 * posts through server A. Latency = message arrival − createPost's response.
 */
export async function liveDelivery(
  stack: Stack,
  seeded: SeedResult,
  config: { subscribers: number[]; postsPerRun: number; deliveryTimeoutMs: number },
): Promise<LiveRun[]> {
  const tokens = new AccessTokens(stack.env.JWT_SECRET!, 3600);
  // The mid author's followers are users 2..midAuthorFollowers+1 (see seed.ts). Not the big
  // author: each of its posts costs the feed a 1,000-timeline fan-out, which scenario 3 measures.
  const followers = seeded.all.slice(2, 2 + seeded.size.midAuthorFollowers);
  const author = seeded.midAuthor;
  const bUrl = stack.b.url.replace(/^http/, 'ws');
  const runs: LiveRun[] = [];
  for (const n of config.subscribers) {
    // Posts queued behind earlier work would measure the backlog, not delivery.
    await settleQueues(stack, 60_000);
    const sockets = Math.min(n, followers.length);
    const baseline = await liveSubscriptions(stack.b.port);
    const rssBefore = stack.b.memory().rssMiB;
    const t0 = performance.now();
    const clients: Client[] = [];
    const arrivals = new Map<string, number[]>(); // postId → arrival times
    let failures = 0;
    for (let s = 0; s < sockets; s++) {
      const token = await tokens.issue(followers[s]!.id);
      clients.push(
        createClient({
          url: bUrl,
          webSocketImpl: WebSocket,
          connectionParams: { authorization: `Bearer ${token}` },
          retryAttempts: 0,
          lazy: true,
          keepAlive: 30_000,
        }),
      );
    }
    const disposers: (() => void)[] = [];
    for (let i = 0; i < n; i++) {
      disposers.push(
        clients[i % sockets]!.subscribe(
          { query: FEED_UPDATED },
          {
            next: (message) => {
              const at = performance.now();
              const postId = (message.data as { feedUpdated?: { postId: string } } | undefined)?.feedUpdated?.postId;
              if (postId) {
                const list = arrivals.get(postId) ?? [];
                list.push(at);
                arrivals.set(postId, list);
              }
            },
            error: () => void failures++,
            complete: () => {},
          },
        ),
      );
      if (i % 200 === 199) await sleep(20); // let sockets open without a thundering herd
    }
    await until(
      async () => (await liveSubscriptions(stack.b.port)) >= baseline + n || failures > 0,
      180_000,
      `${n} subscriptions on server B`,
      250,
    );
    if (failures > 0) say(`  ${failures} subscriptions failed to open`);
    const subscribeSeconds = (performance.now() - t0) / 1000;
    await sleep(1000);
    const rssAfter = stack.b.memory().rssMiB;
    say(
      `live n=${n}: ${n} subscriptions over ${sockets} sockets open in ${subscribeSeconds.toFixed(1)} s; B's RSS ${rssBefore.toFixed(0)} → ${rssAfter.toFixed(0)} MiB`,
    );

    const latencies: number[] = [];
    let received = 0;
    for (let p = 0; p < config.postsPerRun; p++) {
      const { createPost } = await gql<{ createPost: { id: string } }>(
        stack.a.url,
        CREATE,
        { body: `Live to ${n} subscribers, post ${p} #bench` },
        author.token,
      );
      const responded = performance.now();
      await until(
        async () => (arrivals.get(createPost.id)?.length ?? 0) >= n,
        config.deliveryTimeoutMs,
        `delivery to ${n}`,
        20,
      ).catch(() => undefined);
      const times = arrivals.get(createPost.id) ?? [];
      received += times.length;
      for (const at of times) latencies.push(at - responded);
    }
    latencies.sort((x, y) => x - y);
    const expected = n * config.postsPerRun;
    const run: LiveRun = {
      subscriptions: n,
      sockets,
      distinctUsers: sockets,
      posts: config.postsPerRun,
      expectedMessages: expected,
      received,
      lost: expected - received,
      p50Ms: Math.round(percentile(latencies, 50)),
      p99Ms: Math.round(percentile(latencies, 99)),
      maxMs: Math.round(latencies.at(-1) ?? Number.NaN),
      subscribeSeconds: Math.round(subscribeSeconds * 10) / 10,
      rssBeforeMiB: Math.round(rssBefore),
      rssAfterMiB: Math.round(rssAfter),
      kibPerSubscription: Math.round((((rssAfter - rssBefore) * 1024) / n) * 10) / 10,
    };
    say(
      `live n=${n}: p50 ${run.p50Ms} ms, p99 ${run.p99Ms} ms, lost ${run.lost} of ${expected}, ${run.kibPerSubscription} KiB/subscription`,
    );
    runs.push(run);
    for (const dispose of disposers) dispose();
    await Promise.all(clients.map((client) => client.dispose()));
    await until(
      async () => (await liveSubscriptions(stack.b.port)) <= baseline,
      60_000,
      'subscriptions to close',
      250,
    ).catch(() => say('  (server B still counts some subscriptions)'));
  }
  return runs;
}
