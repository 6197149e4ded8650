import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CommandStartedEvent, Document, MongoClient } from 'mongodb';
import {
  connectMongo,
  uniqueIndexFits,
  untargetedOperations,
  type DatabaseShardKeys,
  type UntargetedOperation,
} from '@micropost/mongo';
import type { SubgraphDefinition } from '@micropost/server';
import {
  createTestServices,
  graphql,
  registerAccount,
  type TestAccount,
  type TestServices,
  waitFor,
} from '@micropost/testing';
import { loadSubgraphs, shardKeyPlan, startGraph, type RunningGraph } from '../src/app.ts';

// Every query a request path sends in a sharded cluster must reach the shards owning its key, not
// all of them (DESIGN.md, "Beyond one machine"). MongoDB cannot run here, so the end-to-end flows
// run on FerretDB while the driver's command monitoring records every command each subgraph
// sends, and each filter is checked against its collection's declared shard key.

interface Allowed {
  readonly subgraph: string;
  readonly collection: string;
  readonly command: string;
  /** Which of the collection's untargeted operations this entry covers. */
  readonly matches: (filter: Document) => boolean;
  readonly why: string;
  /** Periodic work that may or may not run during the flows; every other entry must be needed. */
  readonly background?: true;
}

const has = (filter: Document, ...fields: string[]) => fields.every((field) => field in filter);

/**
 * The operations that must scatter, and why. Keep it short: anything else that scatters is a
 * request path to fix (name the shard key in its filter) or a shard key to rethink.
 */
const ALLOWED: readonly Allowed[] = [
  // Request paths that read by a field other than the key.
  {
    subgraph: 'posts',
    collection: 'posts',
    command: 'find',
    matches: (filter) => has(filter, 'authorId') && !has(filter, '_id'),
    why: 'User.posts lists by author; posts are keyed by hashed _id for the hotter id lookups (feeds, search, post)',
  },
  {
    subgraph: 'follows',
    collection: 'follows',
    command: 'find',
    matches: (filter) => has(filter, 'followeeId') && !has(filter, 'followerId'),
    why: 'User.followers lists by followee; a followee-keyed copy in the follows database would make it targeted',
  },
  {
    subgraph: 'search',
    collection: 'users',
    command: 'find',
    matches: (filter) => has(filter, 'handle') && !has(filter, '_id'),
    why: 'the exact-handle match of searchUsers: one indexed lookup per shard, by a secondary field',
  },
  // Event consumers' rare writes.
  {
    subgraph: 'feed',
    collection: 'timelines',
    command: 'find',
    matches: (filter) => has(filter, 'postId') && !has(filter, 'ownerId'),
    why: "post.deleted finds the post's entries in every timeline: they are on every shard by nature",
  },
  {
    subgraph: 'search',
    collection: 'post_tokens',
    command: 'delete',
    matches: (filter) => has(filter, '_id') && !has(filter, 'term'),
    why: "post.deleted removes the post's tokens by _id (which starts with the term): once per deleted post",
  },
  {
    subgraph: 'search',
    collection: 'user_tokens',
    command: 'delete',
    matches: (filter) => has(filter, '_id') && !has(filter, 'prefix'),
    why: 'user.updated removes the old tokens by _id (which starts with the prefix): once per profile change',
  },
  // Background work, not request paths: scans for what is due, wherever it is.
  ...['users:users', 'posts:posts', 'follows:follows', 'feed:feed_outbox'].map((name) => ({
    subgraph: name.split(':')[0]!,
    collection: name.split(':')[1]!,
    command: 'findAndModify',
    matches: (filter: Document) => has(filter, 'outboxPending', 'outboxDueAt'),
    why: "the outbox relay's claim of the oldest due document",
    background: true as const,
  })),
  {
    subgraph: 'posts',
    collection: 'likes',
    command: 'find',
    matches: (filter) => has(filter, '$or') && !has(filter, 'postId'),
    why: "the like reconciler's scan for stuck likes",
    background: true,
  },
  {
    subgraph: 'follows',
    collection: 'follows',
    command: 'find',
    matches: (filter) => has(filter, 'counted', 'changedAt'),
    why: "the follow-counter reconciler's scan for unsettled edges",
    background: true,
  },
  {
    subgraph: 'feed',
    collection: 'timeline_growth',
    command: 'find',
    matches: (filter) => Object.keys(filter).length === 0,
    why: 'the trim task takes pending growth records in any order',
    background: true,
  },
];

const used = new Set<Allowed>();
const allowed = (subgraph: string, operation: UntargetedOperation) => {
  const entry = ALLOWED.find(
    (entry) =>
      entry.subgraph === subgraph &&
      entry.collection === operation.collection &&
      entry.command === operation.command &&
      entry.matches(operation.filter ?? {}),
  );
  if (entry) used.add(entry);
  return entry !== undefined;
};

let services: TestServices;
let definitions: SubgraphDefinition<any, any>[];
let graph: RunningGraph;
let mongo: MongoClient;
let recording = false;
const recorded: { subgraph: string; event: CommandStartedEvent }[] = [];

async function ok<Data = Record<string, any>>(query: string, variables: Record<string, unknown> = {}, token?: string) {
  const response = await graphql<Data>(graph.url, query, { variables, token });
  if (response.errors) throw new Error(JSON.stringify(response.errors));
  return response.data!;
}

const feedOf = async (account: TestAccount) =>
  (
    await ok<{ homeFeed: { edges: { node: { id: string } }[] } }>(
      `query { homeFeed(first: 50) { edges { node { id } } } }`,
      {},
      account.token,
    )
  ).homeFeed.edges.map((edge) => edge.node.id);

beforeAll(async () => {
  services = await createTestServices();
  definitions = await loadSubgraphs();
  graph = await startGraph(
    {
      ...services.env({
        RATE_LIMIT_REGISTRATIONS_PER_HOUR: '100000',
        RATE_LIMIT_WRITES_PER_MINUTE: '100000',
        RATE_LIMIT_REQUESTS_PER_MINUTE: '100000',
      }),
      PORT: '0',
    },
    definitions,
    { onMongoCommand: (subgraph, event) => recording && recorded.push({ subgraph, event }) },
  );
  mongo = await connectMongo(services.mongoUrl);
}, 120_000);
afterAll(async () => {
  await graph?.stop();
  await mongo?.close();
  await services?.dispose();
});

describe('shard keys', () => {
  it('are carried by every query and write of the request paths and event consumers', async () => {
    recording = true;
    const [alice, bob, carol] = await Promise.all(
      ['shard_alice', 'shard_bob', 'shard_carol'].map((handle) => registerAccount(graph.url, handle)),
    );
    await ok(`mutation { login(handle: "shard_alice", password: "correct horse battery") { token } }`);
    await ok(`mutation { updateProfile(displayName: "Alice Sharded", bio: "hi") { id } }`, {}, alice!.token);
    for (const follower of [bob!, carol!])
      await ok(`mutation($id: ID!) { follow(userId: $id) { id } }`, { id: alice!.id }, follower.token);
    await ok(`mutation($id: ID!) { follow(userId: $id) { id } }`, { id: bob!.id }, alice!.token);
    const posts: string[] = [];
    for (const body of ['first shardword #keys', 'second shardword', 'third shardword #keys'])
      posts.push(
        (
          await ok<{ createPost: { id: string } }>(
            `mutation($b: String!) { createPost(body: $b) { id } }`,
            { b: body },
            alice!.token,
          )
        ).createPost.id,
      );
    await waitFor(async () => (await feedOf(bob!)).length === 3, { message: "the posts did not reach bob's feed" });

    for (const liker of [bob!, carol!])
      await ok(`mutation($id: ID!) { likePost(postId: $id) { likeCount } }`, { id: posts[0] }, liker.token);
    await ok(`mutation($id: ID!) { unlikePost(postId: $id) { likeCount } }`, { id: posts[0] }, carol!.token);

    const page = await ok<{ homeFeed: { pageInfo: { endCursor: string } } }>(
      `query { homeFeed(first: 2) { edges { node { id body likeCount viewerHasLiked author { handle followerCount viewerFollows } } } pageInfo { endCursor } } }`,
      {},
      bob!.token,
    );
    await ok(
      `query($after: String) { homeFeed(first: 2, after: $after) { edges { node { id } } } }`,
      { after: page.homeFeed.pageInfo.endCursor },
      bob!.token,
    );
    await ok(
      `query($h: String!) { user(handle: $h) { id displayName postCount followerCount followingCount posts(first: 2) { edges { node { id } } }
        followers { edges { node { handle } } } following { edges { node { handle } } } } }`,
      { h: alice!.handle },
    );
    await ok(`query($id: ID!) { user(id: $id) { handle viewerFollows } }`, { id: alice!.id }, bob!.token);
    await ok(
      `query($id: ID!) { post(id: $id) { body likeCount viewerHasLiked author { handle } } }`,
      { id: posts[1] },
      bob!.token,
    );
    await waitFor(
      async () => {
        const found = await ok<{ searchPosts: { edges: unknown[] } }>(
          `query { searchPosts(query: "shardword #keys", first: 10) { edges { node { id } } } }`,
        );
        const people = await ok<{ searchUsers: { edges: unknown[] } }>(
          `query { searchUsers(query: "shard_alice", first: 10) { edges { node { id } } } }`,
        );
        return found.searchPosts.edges.length === 2 && people.searchUsers.edges.length === 1;
      },
      { message: 'the search index did not catch up' },
    );
    await ok(`query { searchUsers(query: "alice sharded", first: 10) { edges { node { handle } } } }`);

    await ok(`mutation($id: ID!) { deletePost(id: $id) }`, { id: posts[2] }, alice!.token);
    await ok(`mutation($id: ID!) { unfollow(userId: $id) { id } }`, { id: alice!.id }, carol!.token);
    await waitFor(async () => !(await feedOf(bob!)).includes(posts[2]!) && (await feedOf(carol!)).length === 0, {
      message: 'the delete and the unfollow did not reach the feeds',
    });
    recording = false;

    const plans = new Map(definitions.map((definition) => [definition.name, definition.shardKeys]));
    const scatters = recorded.flatMap(({ subgraph, event }) =>
      untargetedOperations(event.commandName, event.command, plans.get(subgraph) ?? {})
        .filter((operation) => !allowed(subgraph, operation))
        .map((operation) => ({ subgraph, ...operation })),
    );
    // Deduplicated by shape, so a failure lists each offending query once.
    const shapes = [
      ...new Set(scatters.map((s) => `${s.subgraph}.${s.collection} ${s.command} ${JSON.stringify(s.filter)}`)),
    ];
    expect(shapes).toEqual([]);
    // An allowance nothing needs any more goes (background work may not have run meanwhile).
    expect(ALLOWED.filter((entry) => !entry.background && !used.has(entry)).map((entry) => entry.why)).toEqual([]);
    // The flows did reach every subgraph's database.
    expect(new Set(recorded.map((entry) => entry.subgraph))).toEqual(new Set(plans.keys()));
  }, 180_000);

  it("are declared for every collection, and each unique index starts with its collection's key", async () => {
    const plan: DatabaseShardKeys[] = shardKeyPlan(definitions, services.dbPrefix);
    const problems: string[] = [];
    for (const { database, collections } of plan) {
      const db = mongo.db(database);
      for (const { name } of await db.listCollections({}, { nameOnly: true }).toArray()) {
        const declared = collections[name];
        if (!declared) {
          problems.push(`${database}.${name} has no declared shard key`);
          continue;
        }
        if (!declared.key) continue;
        for (const index of await db.collection(name).indexes())
          if (index.unique && index.name !== '_id_' && !uniqueIndexFits(declared.key, index.key))
            problems.push(`${database}.${name}: unique index ${index.name} does not start with the shard key`);
      }
    }
    expect(problems).toEqual([]);
    // Every declaration has its one-line reason.
    for (const { collections } of plan)
      for (const [name, { reason }] of Object.entries(collections)) expect(reason.length, name).toBeGreaterThan(10);
  });
});
