import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestServices,
  errorCodes,
  graphql,
  registerAccount,
  waitFor,
  type TestServices,
} from '@micropost/testing';
import { startTestGraph, type TestGraph } from '@micropost/app/testing';
import { followsSubgraph } from '@micropost/follows';
import { postsSubgraph } from '@micropost/posts';
import { usersSubgraph } from '@micropost/users';
import { feedSubgraph } from '../src/subgraph.ts';

let services: TestServices;
let graph: TestGraph;

beforeAll(async () => {
  services = await createTestServices();
  graph = await startTestGraph(services.env(), [usersSubgraph, postsSubgraph, followsSubgraph, feedSubgraph]);
});
afterAll(async () => {
  await graph?.stop();
  await services?.dispose();
});

const FEED = `{ homeFeed(first: 50) { edges { node { id body author { handle } } } pageInfo { hasNextPage } } }`;

interface FeedItem {
  id: string;
  body: string;
  author: { handle: string };
}

async function feed(token: string): Promise<FeedItem[]> {
  const response = await graphql<{ homeFeed: { edges: { node: FeedItem }[] } }>(graph.url, FEED, { token });
  if (!response.data) throw new Error(`homeFeed failed: ${JSON.stringify(response.errors)}`);
  return response.data.homeFeed.edges.map((edge) => edge.node);
}

const summary = (items: FeedItem[]) => items.map((item) => `${item.author.handle}: ${item.body}`);

/** Polls (every 10 ms) until the feed reads `expected`; returns the time it took. */
async function untilFeed(token: string, expected: string[], message: string): Promise<number> {
  const started = performance.now();
  let last: string[] = [];
  await waitFor(
    async () => {
      last = summary(await feed(token));
      return JSON.stringify(last) === JSON.stringify(expected);
    },
    { message: `${message}: expected ${JSON.stringify(expected)}`, intervalMs: 10 },
  ).catch((error: Error) => {
    throw new Error(`${error.message}; last seen ${JSON.stringify(last)}`);
  });
  return performance.now() - started;
}

async function mutate(token: string, query: string, variables: Record<string, unknown>): Promise<any> {
  const response = await graphql(graph.url, query, { token, variables });
  if (!response.data) throw new Error(`${query} failed: ${JSON.stringify(response.errors)}`);
  return response.data;
}

const createPost = async (token: string, body: string): Promise<string> =>
  (await mutate(token, `mutation($b: String!) { createPost(body: $b) { id } }`, { b: body })).createPost.id;

describe('the home feed, end to end', () => {
  it('follows createPost, follow, unfollow and deletePost through the router', async () => {
    const alice = await registerAccount(graph.url, 'alice_e2e');
    const bob = await registerAccount(graph.url, 'bob_e2e');
    const carol = await registerAccount(graph.url, 'carol_e2e');

    expect(errorCodes(await graphql(graph.url, FEED))).toEqual(['UNAUTHENTICATED']);

    await createPost(bob.token, 'bob before the follow');
    await createPost(carol.token, 'carol, never followed');
    await createPost(alice.token, 'alice hello');
    await untilFeed(alice.token, ['alice_e2e: alice hello'], "alice's own post");

    // Follow: bob's earlier post is backfilled; carol's never shows.
    await mutate(alice.token, `mutation($u: ID!) { follow(userId: $u) { id } }`, { u: bob.id });
    await untilFeed(alice.token, ['alice_e2e: alice hello', 'bob_e2e: bob before the follow'], 'the follow backfill');

    // Fan-out of new posts, and the lag from the createPost response to the post in the feed.
    const lags: number[] = [];
    const expected = ['alice_e2e: alice hello', 'bob_e2e: bob before the follow'];
    for (let i = 1; i <= 10; i++) {
      const body = `bob post ${i}`;
      await createPost(bob.token, body);
      expected.unshift(`bob_e2e: ${body}`);
      lags.push(await untilFeed(alice.token, expected, `bob's post ${i} in alice's feed`));
    }
    lags.sort((a, b) => a - b);
    const median = lags[Math.floor(lags.length / 2)]!;
    console.info(
      `feed lag after createPost (ms, 10 posts, polled every 10 ms): median ${median.toFixed(0)}, max ${lags.at(-1)!.toFixed(0)}, all ${lags.map((lag) => lag.toFixed(0)).join(' ')}`,
    );

    // Delete: gone from the feed.
    const doomed = await createPost(bob.token, 'bob regrets this');
    await untilFeed(alice.token, ['bob_e2e: bob regrets this', ...expected], 'the post to delete');
    await mutate(bob.token, `mutation($id: ID!) { deletePost(id: $id) }`, { id: doomed });
    await untilFeed(alice.token, expected, 'the deleted post left the feed');

    // Unfollow: bob's posts leave alice's feed, and stay in bob's own.
    await mutate(alice.token, `mutation($u: ID!) { unfollow(userId: $u) { id } }`, { u: bob.id });
    await untilFeed(alice.token, ['alice_e2e: alice hello'], "the unfollow removed bob's posts");
    expect((await feed(bob.token)).filter((item) => item.author.handle === 'bob_e2e')).toHaveLength(11);
    expect(await feed(carol.token)).toEqual([
      expect.objectContaining({ body: 'carol, never followed', author: { handle: 'carol_e2e' } }),
    ]);
  });
});
