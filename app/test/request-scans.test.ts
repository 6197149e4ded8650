import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  createTestServices,
  graphql,
  registerAccount,
  seqScansDuringEach,
  type TestAccount,
  type TestServices,
  waitFor,
} from '@micropost/testing';
import { loadSubgraphs } from '../src/app.ts';
import { startTestGraph, type TestGraph } from '../src/testing.ts';

// Every request path is index-backed on the embedded database too (DESIGN.md, Storage): the
// client's main reads, run through the whole graph, make PostgreSQL scan no table of more than a
// few hundred rows sequentially. Read from pg_stat_user_tables around each request.

const USERS = 320;
const AUTHORS = 30;
const POSTS_PER_AUTHOR = 12;

const HOME_FEED = /* GraphQL */ `
  query HomeFeed($after: String) {
    homeFeed(first: 20, after: $after) {
      edges { node { id body likeCount viewerHasLiked author { handle followerCount viewerFollows } } }
      pageInfo { endCursor hasNextPage }
    }
  }`;

const embedded = inject('micropostServices').postgresUrl !== undefined;
let services: TestServices;
let graph: TestGraph;
let viewer: TestAccount;
let authors: TestAccount[];

/** Runs `work` over `items`, `concurrency` at a time. */
async function inBatches<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<unknown>) {
  for (let start = 0; start < items.length; start += concurrency)
    await Promise.all(items.slice(start, start + concurrency).map(work));
}

async function ok<Data = Record<string, any>>(query: string, variables: Record<string, unknown>, token?: string) {
  const response = await graphql<Data>(graph.url, query, { variables, token });
  if (response.errors) throw new Error(JSON.stringify(response.errors));
  return response.data!;
}

beforeAll(async () => {
  if (!embedded) return;
  services = await createTestServices();
  graph = await startTestGraph(
    services.env({
      RATE_LIMIT_REGISTRATIONS_PER_HOUR: '100000',
      RATE_LIMIT_WRITES_PER_MINUTE: '100000',
      RATE_LIMIT_REQUESTS_PER_MINUTE: '100000',
      // The outbox relay's idle poll is background work, not a request path (and on FerretDB a
      // sequential scan of each outbox collection: a known gap), so it stays out of the windows.
      OUTBOX_MAX_POLL_MS: '600000',
    }),
    await loadSubgraphs(),
  );
  const accounts: TestAccount[] = [];
  await inBatches(
    Array.from({ length: USERS }, (_, i) => `scan_user_${i}`),
    16,
    async (handle) => accounts.push(await registerAccount(graph.url, handle)),
  );
  viewer = accounts[0]!;
  authors = accounts.slice(1, AUTHORS + 1);
  await inBatches(authors, 8, (author) =>
    ok(`mutation($id: ID!) { follow(userId: $id) { id } }`, { id: author.id }, viewer.token),
  );
  await inBatches(authors, 4, async (author) => {
    for (let i = 0; i < POSTS_PER_AUTHOR; i++)
      await ok(
        `mutation($b: String!) { createPost(body: $b) { id } }`,
        { b: `scan word${i} #topic${i % 3}` },
        author.token,
      );
  });
  // The projections (home timelines, search) are built from events: wait until they are complete.
  await waitFor(
    async () => {
      const feed = await ok<{ homeFeed: { edges: unknown[] } }>(
        `query { homeFeed(first: 100) { edges { node { id } } } }`,
        {},
        viewer.token,
      );
      const found = await ok<{ searchPosts: { edges: unknown[] } }>(
        `query { searchPosts(query: "word11", first: 100) { edges { node { id } } } }`,
        {},
      );
      // The last registrations indexed: scan_user_31 and scan_user_310 … scan_user_319.
      const people = await ok<{ searchUsers: { edges: unknown[] } }>(
        `query { searchUsers(query: "scan_user_31", first: 20) { edges { node { id } } } }`,
        {},
      );
      return (
        feed.homeFeed.edges.length === 100 &&
        found.searchPosts.edges.length === AUTHORS &&
        people.searchUsers.edges.length === 11
      );
    },
    { timeoutMs: 120_000, message: 'the feed and search projections did not catch up' },
  );
}, 300_000);
afterAll(async () => {
  await graph?.stop();
  await services?.dispose();
});

describe.runIf(embedded)('request paths on the embedded database', () => {
  it('scan no table of more than a few hundred rows sequentially', async () => {
    const author = authors[7]!;
    const firstPage = await ok<{ homeFeed: { edges: { node: { id: string } }[]; pageInfo: { endCursor: string } } }>(
      HOME_FEED,
      {},
      viewer.token,
    );
    const postId = firstPage.homeFeed.edges[3]!.node.id;
    const requests: Record<string, () => Promise<unknown>> = {
      homeFeed: () => ok(HOME_FEED, {}, viewer.token),
      'homeFeed, next page': () => ok(HOME_FEED, { after: firstPage.homeFeed.pageInfo.endCursor }, viewer.token),
      'user by handle': () =>
        ok(`query($h: String!) { user(handle: $h) { id displayName postCount followerCount followingCount } }`, {
          h: author.handle,
        }),
      'user by id': () =>
        ok(`query($id: ID!) { user(id: $id) { handle viewerFollows } }`, { id: author.id }, viewer.token),
      post: () =>
        ok(
          `query($id: ID!) { post(id: $id) { body likeCount viewerHasLiked author { handle } } }`,
          { id: postId },
          viewer.token,
        ),
      searchPosts: () => ok(`query { searchPosts(query: "word3 #topic0", first: 20) { edges { node { id } } } }`, {}),
      searchUsers: () => ok(`query { searchUsers(query: "scan_user_1", first: 20) { edges { node { handle } } } }`, {}),
    };
    const reports = await seqScansDuringEach(
      {
        postgresUrl: inject('micropostServices').postgresUrl!,
        schemaPrefix: services.dbPrefix,
        settleOn: 'sequential scans',
        // On tables of a few hundred rows the planner rightly prefers one pass to twenty index
        // probes (an entity batch is an `$in` of ~20 ids): ask which queries no index could serve.
        onlyWhereNoIndex: true,
      },
      Object.values(requests),
    );
    const scans = Object.fromEntries(Object.keys(requests).map((name, i) => [name, reports[i]!.seqScans]));
    expect(scans).toEqual(Object.fromEntries(Object.keys(requests).map((name) => [name, []])));
  }, 300_000);
});
