import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ObjectId } from 'mongodb';
import { usersSubgraph } from '@micropost/users';
import { createTestServices, errorCodes, graphql, type TestServices } from '@micropost/testing';
import { startTestGraph, type TestGraph } from '@micropost/app/testing';
import { followsSubgraph } from '../src/subgraph.ts';
import { counts, follow, register, unfollow, type Account } from './helpers.ts';

let services: TestServices;
let graph: TestGraph;
let alice: Account;
let bob: Account;

beforeAll(async () => {
  services = await createTestServices();
  graph = await startTestGraph(services.env(), [usersSubgraph, followsSubgraph]);
  [alice, bob] = await Promise.all([register(graph.url, 'alice'), register(graph.url, 'bob')]);
});
afterAll(async () => {
  await graph?.stop();
  await services?.dispose();
});

describe('follow and unfollow refuse', () => {
  it('a signed-out caller with UNAUTHENTICATED', async () => {
    for (const mutation of ['follow', 'unfollow']) {
      const response = await graphql(graph.url, `mutation($id: ID!) { ${mutation}(userId: $id) { id } }`, {
        variables: { id: bob.id },
      });
      expect(errorCodes(response)).toEqual(['UNAUTHENTICATED']);
    }
    expect(await counts(graph.url, bob.id)).toEqual({ followerCount: 0, followingCount: 0, viewerFollows: false });
  });

  it('following yourself with BAD_USER_INPUT', async () => {
    expect(errorCodes(await follow(graph.url, alice, alice.id))).toEqual(['BAD_USER_INPUT']);
    expect(errorCodes(await unfollow(graph.url, alice, alice.id))).toEqual(['BAD_USER_INPUT']);
    expect(await counts(graph.url, alice.id, alice)).toEqual({
      followerCount: 0,
      followingCount: 0,
      viewerFollows: false,
    });
  });

  it.each(['not-an-id', '', '0123456789abcdef0123456', `${'a'.repeat(24)}0`])(
    'the malformed id %j with BAD_USER_INPUT',
    async (id) => {
      expect(errorCodes(await follow(graph.url, alice, id))).toEqual(['BAD_USER_INPUT']);
      expect(errorCodes(await unfollow(graph.url, alice, id))).toEqual(['BAD_USER_INPUT']);
    },
  );

  // That it answers without waiting for a registration is checked on UserDirectory (store.test.ts).
  it('an old id no one registered with NOT_FOUND', async () => {
    expect(errorCodes(await follow(graph.url, alice, '000000000000000000000000'))).toEqual(['NOT_FOUND']);
    expect(errorCodes(await unfollow(graph.url, alice, '000000000000000000000000'))).toEqual(['NOT_FOUND']);
    // An hour-old id cannot be a registration in flight: no waiting for the projection.
    const hourOld = ObjectId.createFromTime(Math.floor(Date.now() / 1000) - 3600).toHexString();
    expect(errorCodes(await follow(graph.url, alice, hourOld))).toEqual(['NOT_FOUND']);
  });

  it('a fresh id no one registered with NOT_FOUND, after waiting for a registration that never comes', async () => {
    const started = Date.now();
    expect(errorCodes(await follow(graph.url, alice, new ObjectId().toHexString()))).toEqual(['NOT_FOUND']);
    expect(Date.now() - started).toBeGreaterThanOrEqual(4_000);
    expect(await counts(graph.url, alice.id)).toMatchObject({ followingCount: 0 });
  });
});

describe('follow', () => {
  it('succeeds for a user who registered a moment ago, every time', async () => {
    const follower = await register(graph.url, 'eager');
    for (let i = 0; i < 10; i++) {
      const fresh = await register(graph.url, `fresh${i}`);
      const response = await follow(graph.url, follower, fresh.id);
      expect(response.errors).toBeUndefined();
      expect(response.data!.follow).toEqual({ id: fresh.id });
    }
    expect(await counts(graph.url, follower.id)).toMatchObject({ followingCount: 10 });
  });

  it('returns the followed user, counts on both sides, and is idempotent', async () => {
    const [carol, dave] = await Promise.all([register(graph.url, 'carol'), register(graph.url, 'dave')]);
    const followed = await graphql(
      graph.url,
      `mutation($id: ID!) { follow(userId: $id) { id handle followerCount viewerFollows } }`,
      {
        variables: { id: dave.id },
        token: carol.token,
      },
    );
    expect(followed.errors).toBeUndefined();
    expect(followed.data!.follow).toEqual({ id: dave.id, handle: dave.handle, followerCount: 1, viewerFollows: true });

    expect((await follow(graph.url, carol, dave.id)).errors).toBeUndefined();
    expect(await counts(graph.url, dave.id, carol)).toEqual({
      followerCount: 1,
      followingCount: 0,
      viewerFollows: true,
    });
    expect(await counts(graph.url, carol.id, carol)).toEqual({
      followerCount: 0,
      followingCount: 1,
      viewerFollows: false,
    });
    // Whether the viewer follows is the viewer's: dave does not follow carol, signed out is false.
    expect(await counts(graph.url, carol.id, dave)).toMatchObject({ viewerFollows: false });
    expect(await counts(graph.url, dave.id)).toMatchObject({ viewerFollows: false });
  });

  it('counts one edge for ten concurrent follows of the same user', async () => {
    const [erin, fred] = await Promise.all([register(graph.url, 'erin'), register(graph.url, 'fred')]);
    const responses = await Promise.all(Array.from({ length: 10 }, () => follow(graph.url, erin, fred.id)));
    expect(responses.flatMap((response) => response.errors ?? [])).toEqual([]);
    expect(await counts(graph.url, fred.id, erin)).toEqual({
      followerCount: 1,
      followingCount: 0,
      viewerFollows: true,
    });
    expect(await counts(graph.url, erin.id)).toMatchObject({ followingCount: 1 });
  });
});

describe('unfollow', () => {
  it('removes the edge on both sides, is idempotent, and a re-follow counts again', async () => {
    const [gail, hugo] = await Promise.all([register(graph.url, 'gail'), register(graph.url, 'hugo')]);
    // Never followed: success, nothing changes.
    const never = await unfollow(graph.url, gail, hugo.id);
    expect(never.errors).toBeUndefined();
    expect(never.data!.unfollow).toEqual({ id: hugo.id });
    expect(await counts(graph.url, hugo.id, gail)).toEqual({
      followerCount: 0,
      followingCount: 0,
      viewerFollows: false,
    });

    await follow(graph.url, gail, hugo.id);
    const response = await graphql(
      graph.url,
      `mutation($id: ID!) { unfollow(userId: $id) { id followerCount viewerFollows } }`,
      {
        variables: { id: hugo.id },
        token: gail.token,
      },
    );
    expect(response.errors).toBeUndefined();
    expect(response.data!.unfollow).toEqual({ id: hugo.id, followerCount: 0, viewerFollows: false });
    expect((await unfollow(graph.url, gail, hugo.id)).errors).toBeUndefined();
    expect(await counts(graph.url, gail.id)).toMatchObject({ followingCount: 0 });
    expect(await counts(graph.url, hugo.id)).toMatchObject({ followerCount: 0 });

    // Straight away, while the tombstone of the unfollow may still be waiting for its event to go out.
    expect((await follow(graph.url, gail, hugo.id)).errors).toBeUndefined();
    expect(await counts(graph.url, hugo.id, gail)).toEqual({
      followerCount: 1,
      followingCount: 0,
      viewerFollows: true,
    });
    expect(await counts(graph.url, gail.id)).toMatchObject({ followingCount: 1 });
  });

  it('keeps the counters equal to the edges under concurrent follows and unfollows of one pair', async () => {
    const [ivan, jill] = await Promise.all([register(graph.url, 'ivan'), register(graph.url, 'jill')]);
    await follow(graph.url, ivan, jill.id);
    const ops = Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? unfollow : follow)(graph.url, ivan, jill.id));
    expect((await Promise.all(ops)).flatMap((response) => response.errors ?? [])).toEqual([]);
    const after = await counts(graph.url, jill.id, ivan);
    expect(after.followerCount).toBe(after.viewerFollows ? 1 : 0);
    expect((await counts(graph.url, ivan.id)).followingCount).toBe(after.followerCount);
    const list = await graphql(graph.url, `query($id: ID!) { user(id: $id) { followers { edges { node { id } } } } }`, {
      variables: { id: jill.id },
    });
    expect(list.data!.user.followers.edges.length).toBe(after.followerCount);
  });
});
