import { HOME_FEED_QUERY, gql, load, type LoadResult } from '../load.ts';
import { say } from '../progress.ts';
import type { SeedResult } from '../seed.ts';
import type { Stack } from '../stack.ts';

export interface FeedReadResult {
  query: string;
  readers: number;
  /** Posts on the first reader's first page (sanity: the feed is not empty). */
  firstPageSize: number;
  runs: LoadResult[];
}

/** Scenario 1: homeFeed(first: 20) through the balancer at rising concurrency, tokens of several seeded readers. */
export async function feedRead(
  stack: Stack,
  seeded: SeedResult,
  config: { concurrency: number[]; seconds: number },
): Promise<FeedReadResult> {
  const tokens = seeded.readers.map((reader) => reader.token);
  const page = await gql<{ homeFeed: { edges: unknown[] } }>(stack.balancerUrl, HOME_FEED_QUERY, {}, tokens[0]);
  say(`feed read: first page of a reader holds ${page.homeFeed.edges.length} posts`);
  const runs: LoadResult[] = [];
  for (const connections of config.concurrency) {
    const result = await load({
      url: stack.balancerUrl,
      query: HOME_FEED_QUERY,
      tokens,
      connections,
      seconds: config.seconds,
      timeoutSeconds: 30,
    });
    say(
      `feed read c=${connections}: ${result.requestsPerSecond} req/s, p50 ${result.p50Ms} ms, p95 ${result.p95Ms} ms, p99 ${result.p99Ms} ms, errors ${result.errors}`,
    );
    runs.push(result);
  }
  return { query: HOME_FEED_QUERY, readers: tokens.length, firstPageSize: page.homeFeed.edges.length, runs };
}
