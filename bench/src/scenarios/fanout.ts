import { gql, load, type LoadResult } from '../load.ts';
import { say, sleep } from '../progress.ts';
import type { SeedResult, SeededUser } from '../seed.ts';
import { settleQueues, type Stack } from '../stack.ts';

export interface FanOutRun {
  author: string;
  followers: number;
  /** createPost's own latency through the balancer. */
  mutationMs: number;
  /** From createPost's response until the author's and every follower's timeline held the post. */
  completeMs: number | null;
  /** Timelines holding it at the end (complete = followers + 1, the author's own). */
  timelinesHolding: number;
  /** Time until half of the timelines held it. */
  halfMs: number | null;
}

export interface WriteFanOutResult {
  createPost: LoadResult;
  fanOut: FanOutRun[];
}

const CREATE = 'mutation Create($body: String!) { createPost(body: $body) { id } }';

/**
 * Scenario 3. (a) createPost accepted per second through the balancer, by several authors;
 * (b) per fan-out author: from createPost's response until the feed's `timelines` collection
 * holds the post for the author and every follower (polled by postId, read-only).
 */
export async function writeAndFanOut(
  stack: Stack,
  seeded: SeedResult,
  config: { connections: number; seconds: number; maxRequests: number; fanOutTimeoutMs: number },
): Promise<WriteFanOutResult> {
  const writers = seeded.readers.map((reader) => reader.token);
  const createPost = await load({
    url: stack.balancerUrl,
    query: CREATE,
    tokens: writers,
    variables: (i) => ({ body: `Bench write ${i}: coffee and code #bench` }),
    connections: config.connections,
    seconds: config.seconds,
    maxRequests: config.maxRequests,
    timeoutSeconds: 30,
  });
  say(
    `createPost c=${config.connections}: ${createPost.requestsPerSecond} posts/s accepted, p50 ${createPost.p50Ms} ms, p99 ${createPost.p99Ms} ms, errors ${createPost.errors}`,
  );

  const timelines = stack.mongo.db(`${stack.dbPrefix}feed`).collection('timelines');
  const fanOut: FanOutRun[] = [];
  const authors: [SeededUser, number][] = [
    [seeded.midAuthor, seeded.size.midAuthorFollowers],
    [seeded.bigAuthor, seeded.size.bigAuthorFollowers],
  ];
  for (const [author, followers] of authors) {
    if (followers <= 0) continue;
    // Let the write burst's fan-out settle first, so this measures one post's fan-out alone.
    await settleQueues(stack, 90_000);
    const t0 = performance.now();
    const { createPost: post } = await gql<{ createPost: { id: string } }>(
      stack.balancerUrl,
      CREATE,
      { body: `Fan-out to ${followers} followers #bench` },
      author.token,
    );
    const responded = performance.now();
    const want = followers + 1;
    let holding = 0;
    let halfMs: number | null = null;
    let completeMs: number | null = null;
    while (performance.now() - responded < config.fanOutTimeoutMs) {
      holding = await timelines.countDocuments({ postId: post.id });
      if (halfMs === null && holding * 2 >= want) halfMs = performance.now() - responded;
      if (holding >= want) {
        completeMs = performance.now() - responded;
        break;
      }
      await sleep(100);
    }
    const run = {
      author: author.handle,
      followers,
      mutationMs: round(responded - t0),
      completeMs: completeMs && round(completeMs),
      timelinesHolding: holding,
      halfMs: halfMs && round(halfMs),
    };
    say(
      completeMs === null
        ? `fan-out to ${followers} followers: INCOMPLETE after ${config.fanOutTimeoutMs / 1000} s (${holding} of ${want} timelines)`
        : `fan-out to ${followers} followers: every timeline after ${run.completeMs} ms (half after ${run.halfMs} ms)`,
    );
    fanOut.push(run);
  }
  return { createPost, fanOut };
}

const round = (value: number) => Math.round(value);
