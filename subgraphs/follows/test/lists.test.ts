import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CommandStartedEvent } from 'mongodb';
import { usersSubgraph } from '@micropost/users';
import { createTestServices, errorCodes, graphql, type TestServices } from '@micropost/testing';
import { startTestGraph, type TestGraph } from '@micropost/app/testing';
import { RECONCILER_COMMENT } from '../src/follow-store.ts';
import { followsSubgraph } from '../src/subgraph.ts';
import { follow, register, type Account } from './helpers.ts';

const FOLLOWERS = /* GraphQL */ `
  query Followers($id: ID!, $first: Int, $after: String) {
    user(id: $id) { followers(first: $first, after: $after) { edges { cursor node { id } } pageInfo { endCursor hasNextPage } } }
  }`;
const FOLLOWING = /* GraphQL */ `
  query Following($id: ID!, $first: Int, $after: String) {
    user(id: $id) { following(first: $first, after: $after) { edges { node { id handle } } pageInfo { endCursor hasNextPage } } }
  }`;

let services: TestServices;
let graph: TestGraph;
/** Followed by `initial` (in that order) before any test runs. */
let star: Account;
let initial: Account[];

beforeAll(async () => {
  services = await createTestServices();
  graph = await startTestGraph(services.env(), [usersSubgraph, followsSubgraph]);
  star = await register(graph.url, 'star');
  initial = await Promise.all(Array.from({ length: 27 }, (_, i) => register(graph.url, `fan${i}`)));
  for (const fan of initial) expect((await follow(graph.url, fan, star.id)).errors).toBeUndefined();
});
afterAll(async () => {
  await graph?.stop();
  await services?.dispose();
});

async function followersPage(first: number, after: string | null) {
  const response = await graphql(graph.url, FOLLOWERS, { variables: { id: star.id, first, after } });
  expect(response.errors).toBeUndefined();
  return response.data!.user.followers as {
    edges: { cursor: string; node: { id: string } }[];
    pageInfo: { endCursor: string | null; hasNextPage: boolean };
  };
}

describe('followers and following', () => {
  it('page newest first without duplicates or gaps while more users follow', async () => {
    const latecomers = await Promise.all(Array.from({ length: 6 }, (_, i) => register(graph.url, `late${i}`)));
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    let lateFollows: Promise<unknown> | undefined;
    for (;;) {
      const page = await followersPage(10, after);
      pages++;
      seen.push(...page.edges.map((edge) => edge.node.id));
      expect(page.pageInfo.endCursor).toBe(page.edges.at(-1)?.cursor ?? null);
      // After the first page, the latecomers follow while the rest is read.
      lateFollows ??= Promise.all(latecomers.map((late) => follow(graph.url, late, star.id)));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    await lateFollows;

    expect(new Set(seen).size).toBe(seen.length);
    const initialIds = new Set(initial.map((fan) => fan.id));
    expect(seen.filter((id) => initialIds.has(id))).toEqual(initial.map((fan) => fan.id).reverse());
    expect(pages).toBe(3);

    // Once they are all in, the newest come first.
    const all = await followersPage(100, null);
    expect(all.edges).toHaveLength(initial.length + latecomers.length);
    expect(all.edges.slice(latecomers.length).map((edge) => edge.node.id)).toEqual(
      initial.map((fan) => fan.id).reverse(),
    );
    expect(new Set(all.edges.slice(0, latecomers.length).map((edge) => edge.node.id))).toEqual(
      new Set(latecomers.map((late) => late.id)),
    );
    expect(all.pageInfo.hasNextPage).toBe(false);
  });

  it('lists whom a user follows, with profiles from the users subgraph', async () => {
    const [reader, a, b] = await Promise.all([
      register(graph.url, 'reader'),
      register(graph.url, 'wa'),
      register(graph.url, 'wb'),
    ]);
    await follow(graph.url, reader, a.id);
    await follow(graph.url, reader, b.id);
    const first = await graphql(graph.url, FOLLOWING, { variables: { id: reader.id, first: 1 } });
    expect(first.data!.user.following.edges).toEqual([{ node: { id: b.id, handle: b.handle } }]);
    expect(first.data!.user.following.pageInfo.hasNextPage).toBe(true);
    const second = await graphql(graph.url, FOLLOWING, {
      variables: { id: reader.id, first: 1, after: first.data!.user.following.pageInfo.endCursor },
    });
    expect(second.data!.user.following).toEqual({
      edges: [{ node: { id: a.id, handle: a.handle } }],
      pageInfo: { endCursor: expect.any(String), hasNextPage: false },
    });
    const nobody = await graphql(graph.url, FOLLOWING, { variables: { id: a.id } });
    expect(nobody.data!.user.following).toEqual({ edges: [], pageInfo: { endCursor: null, hasNextPage: false } });
  });

  it.each([
    ['first: 0', { first: 0 }],
    ['first: 101', { first: 101 }],
    ['first: -1', { first: -1 }],
    ['a cursor that is not one', { first: 10, after: 'nonsense' }],
    [
      'a cursor with a bad id',
      { first: 10, after: Buffer.from(JSON.stringify([Date.now(), 'zz'])).toString('base64url') },
    ],
  ])('refuse %s with BAD_USER_INPUT', async (_label, args) => {
    for (const query of [FOLLOWERS, FOLLOWING]) {
      expect(errorCodes(await graphql(graph.url, query, { variables: { id: star.id, ...args } }))).toEqual([
        'BAD_USER_INPUT',
      ]);
    }
  });
  it('accept first: 100', async () => {
    expect((await graphql(graph.url, FOLLOWERS, { variables: { id: star.id, first: 100 } })).errors).toBeUndefined();
  });
});

describe('a page of users with their follow counts', () => {
  const PAGE = /* GraphQL */ `
    query Page($handle: String!, $first: Int!) {
      user(handle: $handle) { followers(first: $first) { edges { node { handle followerCount followingCount viewerFollows } } } }
    }`;

  /** The follows subgraph's reads during one query, leaving out the counter reconciler's background work. */
  async function followsReads(viewer: Account, first: number) {
    const { result, reads } = await graph.readsDuring(() =>
      graphql(graph.url, PAGE, { variables: { handle: star.handle, first }, token: viewer.token }),
    );
    expect(result.errors).toBeUndefined();
    const own = (reads.follows ?? []).filter(
      (event: CommandStartedEvent) => event.command.comment !== RECONCILER_COMMENT,
    );
    return {
      edges: result.data!.user.followers.edges as {
        node: { handle: string; followerCount: number; followingCount: number; viewerFollows: boolean };
      }[],
      reads: own,
    };
  }

  it('costs the follows subgraph three batched reads, whatever the page size', async () => {
    // The viewer follows two of the newest fans.
    const viewer = initial[0]!;
    const [newest, second, third] = [initial[26]!, initial[25]!, initial[24]!];
    await follow(graph.url, viewer, newest.id);
    await follow(graph.url, viewer, second.id);

    const small = await followsReads(viewer, 5);
    const large = await followsReads(viewer, 20);
    expect(small.edges).toHaveLength(5);
    expect(large.edges).toHaveLength(20);
    // The followers page and whether the viewer follows them ($in): one read each; the counters of
    // the page's users: one `$in` batch.
    for (const { reads } of [small, large]) {
      expect(reads.every((event) => event.commandName === 'find')).toBe(true);
      expect(reads.filter((event) => event.command.find === 'follows')).toHaveLength(2);
      expect(reads.filter((event) => event.command.find === 'counts')).toHaveLength(1);
    }

    const byHandle = new Map(large.edges.map((edge) => [edge.node.handle, edge.node]));
    expect(byHandle.get(newest.handle)).toEqual({
      handle: newest.handle,
      followerCount: 1,
      followingCount: 1,
      viewerFollows: true,
    });
    expect(byHandle.get(second.handle)).toEqual({
      handle: second.handle,
      followerCount: 1,
      followingCount: 1,
      viewerFollows: true,
    });
    expect(byHandle.get(third.handle)).toEqual({
      handle: third.handle,
      followerCount: 0,
      followingCount: 1,
      viewerFollows: false,
    });
    expect(large.edges.filter((edge) => edge.node.viewerFollows)).toHaveLength(2);
  });
});

describe('nested lists', () => {
  const NESTED = /* GraphQL */ `
    query Nested($id: ID!, $first: Int!) {
      user(id: $id) {
        followers(first: $first) {
          edges { node { id followers(first: 10) { edges { node { id } } } following(first: 10) { edges { node { id } } } } }
        }
      }
    }`;

  async function nested(first: number) {
    const { result, reads } = await graph.readsDuring(() =>
      graphql(graph.url, NESTED, { variables: { id: star.id, first } }),
    );
    expect(result.errors).toBeUndefined();
    const fans = result.data!.user.followers.edges.map((edge: any) => edge.node);
    expect(fans).toHaveLength(first);
    for (const fan of fans) expect(fan.following.edges.map((edge: any) => edge.node.id)).toContain(star.id);
    return (reads.follows ?? []).filter((event) => event.command.comment !== RECONCILER_COMMENT).length;
  }

  it('load with one query per list per level, however many parents', async () => {
    const few = await nested(3);
    const many = await nested(25);
    // The star's followers, then the fans' followers and the fans' following: one query each.
    expect(few).toBe(3);
    expect(many).toBe(3);
  });
});
