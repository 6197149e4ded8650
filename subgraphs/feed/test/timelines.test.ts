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
import { usersSubgraph } from '@micropost/users';
import { feedSubgraph } from '../src/subgraph.ts';
import { EventPublisher, FeedUpdates, HOME_FEED_IDS, homeFeedIds, newId, postData, waitForFeed } from './support.ts';

let services: TestServices;
let graph: TestGraph;
let events: EventPublisher;
let updates: FeedUpdates;

beforeAll(async () => {
  services = await createTestServices();
  graph = await startTestGraph(services.env(), [usersSubgraph, feedSubgraph]);
  events = await EventPublisher.connect(services.amqpUrl);
  updates = await FeedUpdates.listen(services.amqpUrl);
});
afterAll(async () => {
  await updates?.close();
  await events?.close();
  await graph?.stop();
  await services?.dispose();
});

describe('homeFeed', () => {
  it("holds the viewer's own posts and those of the authors they follow, newest first", async () => {
    const viewer = await registerAccount(graph.url, 'viewer_one');
    const [a1, a2, a3] = [newId(), newId(), newId()];
    await events.publish('follow.created', {
      followerId: viewer.id,
      followeeId: a1,
      createdAt: new Date().toISOString(),
    });
    await events.publish('follow.created', {
      followerId: viewer.id,
      followeeId: a2,
      createdAt: new Date().toISOString(),
    });

    // Interleaved in time, published in another order than their times.
    const posts = [
      postData(a1, 10),
      postData(a3, 20),
      postData(viewer.id, 30),
      postData(a2, 40),
      postData(a1, 50),
      postData(a3, 60),
      postData(a2, 5),
    ];
    for (const post of [...posts].reverse()) await events.publish('post.created', post);

    const expected = posts
      .filter((post) => post.authorId !== a3)
      .sort((x, y) => y.createdAt.localeCompare(x.createdAt))
      .map((post) => post.postId);
    await waitForFeed(
      graph.url,
      viewer.token,
      expected,
      "the viewer's feed never showed exactly their own and followed authors' posts",
    );

    // feed.updated: each post was announced to exactly its author and the viewer (when followed).
    const a1Post = posts[4]!;
    await waitFor(async () => updates.forPost(a1Post.postId).added.length === 2, {
      message: 'feed.updated for a followed post did not arrive',
    });
    expect(updates.forPost(a1Post.postId)).toEqual({ added: [a1, viewer.id].sort(), removed: [] });
    const a3Post = posts[5]!;
    await waitFor(async () => updates.forPost(a3Post.postId).added.length > 0, {
      message: 'feed.updated for an unfollowed author did not arrive',
    });
    expect(updates.forPost(a3Post.postId)).toEqual({ added: [a3], removed: [] });
  });

  it('reflects a delete, an unfollow and a follow (with backfill)', async () => {
    const viewer = await registerAccount(graph.url, 'viewer_two');
    const [a1, a2] = [newId(), newId()];
    const a1Posts = [postData(a1, 100), postData(a1, 110), postData(a1, 120)];
    const a2Posts = [postData(a2, 105), postData(a2, 115)];
    const own = postData(viewer.id, 90);
    for (const post of [...a1Posts, ...a2Posts, own]) await events.publish('post.created', post);
    await waitForFeed(
      graph.url,
      viewer.token,
      [own.postId],
      'the viewer saw more than their own post before following anyone',
    );

    // Follow a1: backfilled with a1's earlier posts.
    await events.publish('follow.created', {
      followerId: viewer.id,
      followeeId: a1,
      createdAt: new Date().toISOString(),
    });
    await waitForFeed(
      graph.url,
      viewer.token,
      [a1Posts[2]!.postId, a1Posts[1]!.postId, a1Posts[0]!.postId, own.postId],
      'the follow was not backfilled',
    );
    await waitFor(async () => updates.forPost(a1Posts[0]!.postId).added.includes(viewer.id), {
      message: 'the backfill was not announced',
    });

    // Follow a2 too, then delete one of a1's posts.
    await events.publish('follow.created', {
      followerId: viewer.id,
      followeeId: a2,
      createdAt: new Date().toISOString(),
    });
    await events.publish('post.deleted', {
      postId: a1Posts[1]!.postId,
      authorId: a1,
      createdAt: a1Posts[1]!.createdAt,
    });
    await waitForFeed(
      graph.url,
      viewer.token,
      [a1Posts[2]!.postId, a2Posts[1]!.postId, a2Posts[0]!.postId, a1Posts[0]!.postId, own.postId],
      'the second follow or the delete is missing',
    );
    await waitFor(async () => updates.forPost(a1Posts[1]!.postId).removed.length === 2, {
      message: 'the delete was not announced',
    });
    expect(updates.forPost(a1Posts[1]!.postId).removed).toEqual([a1, viewer.id].sort());

    // Unfollow a1: its posts leave; a2's and the viewer's stay.
    await events.publish('follow.deleted', { followerId: viewer.id, followeeId: a1 });
    await waitForFeed(
      graph.url,
      viewer.token,
      [a2Posts[1]!.postId, a2Posts[0]!.postId, own.postId],
      "the unfollowed author's posts stayed",
    );
    await waitFor(async () => updates.forPost(a1Posts[2]!.postId).removed.includes(viewer.id), {
      message: 'the unfollow was not announced',
    });

    // A new post by a1 no longer reaches the viewer; one by a2 does.
    const late1 = postData(a1, 200);
    const late2 = postData(a2, 210);
    await events.publish('post.created', late1);
    await events.publish('post.created', late2);
    await waitForFeed(
      graph.url,
      viewer.token,
      [late2.postId, a2Posts[1]!.postId, a2Posts[0]!.postId, own.postId],
      'new posts went to the wrong timelines',
    );
    await waitFor(async () => updates.forPost(late1.postId).added.length > 0, {
      message: 'feed.updated for the late post did not arrive',
    });
    expect(updates.forPost(late1.postId).added).toEqual([a1]);
  });

  it('pages with stable cursors while new posts arrive', async () => {
    const viewer = await registerAccount(graph.url, 'viewer_three');
    const author = newId();
    await events.publish('follow.created', {
      followerId: viewer.id,
      followeeId: author,
      createdAt: new Date().toISOString(),
    });
    await waitFor(async () => (await graphql(graph.url, HOME_FEED_IDS, { token: viewer.token })).data?.homeFeed, {
      message: 'no feed',
    });
    // Two posts share a time: the id breaks the tie.
    const posts = Array.from({ length: 9 }, (_, i) => postData(author, 1000 + i));
    posts.push(postData(author, 1004));
    for (const post of posts) await events.publish('post.created', post);
    const expected = [...posts]
      .sort((x, y) => y.createdAt.localeCompare(x.createdAt) || y.postId.localeCompare(x.postId))
      .map((post) => post.postId);
    await waitForFeed(graph.url, viewer.token, expected, 'the posts did not all arrive');

    const page = async (after: string | null) =>
      (await graphql(graph.url, HOME_FEED_IDS, { token: viewer.token, variables: { first: 4, after } })).data!.homeFeed;
    const first = await page(null);
    expect(first.edges.map((edge: any) => edge.node.id)).toEqual(expected.slice(0, 4));
    expect(first.pageInfo.hasNextPage).toBe(true);

    // Newer posts arrive between pages: the next pages continue where the first ended.
    const newer = [postData(author, 5000), postData(author, 5001)];
    for (const post of newer) await events.publish('post.created', post);
    await waitFor(async () => (await homeFeedIds(graph.url, viewer.token)).length === expected.length + 2, {
      message: 'the newer posts did not arrive',
    });

    const second = await page(first.pageInfo.endCursor);
    expect(second.edges.map((edge: any) => edge.node.id)).toEqual(expected.slice(4, 8));
    // A cursor from the middle of a page works as well as endCursor.
    const fromEdge = await page(second.edges[1].cursor);
    expect(fromEdge.edges.map((edge: any) => edge.node.id)).toEqual(expected.slice(6, 10));
    expect(fromEdge.pageInfo.hasNextPage).toBe(false);
    const third = await page(second.pageInfo.endCursor);
    expect(third.edges.map((edge: any) => edge.node.id)).toEqual(expected.slice(8));
    expect(third.pageInfo).toEqual({ endCursor: third.edges[1].cursor, hasNextPage: false });
  });

  it('requires sign-in and refuses bad page arguments', async () => {
    const viewer = await registerAccount(graph.url, 'viewer_four');
    const signedOut = await graphql(graph.url, HOME_FEED_IDS);
    expect(errorCodes(signedOut)).toEqual(['UNAUTHENTICATED']);
    expect(signedOut.data?.homeFeed ?? null).toBeNull();

    for (const variables of [
      { first: 0 },
      { first: 101 },
      { first: -1 },
      { after: 'not-a-cursor' },
      { after: Buffer.from('[1,"x"]').toString('base64url') },
    ]) {
      const response = await graphql(graph.url, HOME_FEED_IDS, { token: viewer.token, variables });
      expect(errorCodes(response), JSON.stringify(variables)).toEqual(['BAD_USER_INPUT']);
    }
    const empty = await graphql(graph.url, HOME_FEED_IDS, { token: viewer.token, variables: { first: 100 } });
    expect(empty.data!.homeFeed).toEqual({ edges: [], pageInfo: { endCursor: null, hasNextPage: false } });
  });
});
