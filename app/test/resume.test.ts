import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerAccount, waitFor } from '@micropost/testing';
import { mutate, type ServerProcess, startTwoServers, subscribe, type TwoServers } from './server-process.ts';

// Resuming subscriptions across two server processes on one broker: a client that loses its socket
// on A comes back on B with its last cursor and gets exactly what it missed, then live events.
let servers: TwoServers;
let a: ServerProcess;
let b: ServerProcess;

beforeAll(async () => {
  servers = await startTwoServers();
  ({ a, b } = servers);
}, 120_000);
afterAll(() => servers?.stop());

type Payload = { data?: any; extensions?: { cursor?: string } };

interface Scenario {
  /** The subscription, with `$after: String` among its variables. */
  readonly query: string;
  readonly variables: Record<string, unknown>;
  readonly token?: string;
  /** Causes the i-th event through `server`; returns what identifies it in a payload. */
  act(i: number, server: ServerProcess): Promise<string>;
  /** What identifies an event in a delivered payload. */
  keyOf(payload: Payload): string;
}

/**
 * One event seen on A, then the socket drops; six events through A and B (each seen by a witness
 * subscription before the next, so the stream's order is known); resume on B with the last cursor:
 * exactly those six in order, then a live one, and nothing else.
 */
async function missSixThenResume(scenario: Scenario): Promise<void> {
  const { query, variables, token, act, keyOf } = scenario;
  const witness = await subscribe(servers, b, token, query, variables);
  const first = await subscribe(servers, a, token, query, variables);
  const firstKey = await act(0, a);
  const seen = (await first.nth(1)) as Payload;
  expect(keyOf(seen)).toBe(firstKey);
  const cursor = seen.extensions?.cursor;
  expect(cursor).toEqual(expect.any(String));
  await witness.nth(1);
  await first.client.dispose();

  const missed: string[] = [];
  for (let i = 1; i <= 6; i++) {
    missed.push(await act(i, i % 2 === 1 ? a : b));
    await witness.nth(i + 1);
  }
  expect(witness.received.slice(1).map(({ payload }) => keyOf(payload as Payload))).toEqual(missed);

  const resumed = await subscribe(servers, b, token, query, { ...variables, after: cursor });
  await resumed.nth(6);
  const replayed = resumed.received.map(({ payload }) => payload as Payload);
  expect(replayed.map(keyOf)).toEqual(missed);
  // The cursors go on from there, so a client can resume again from any of them.
  expect(new Set(replayed.map((payload) => payload.extensions?.cursor)).size).toBe(6);

  const liveKey = await act(7, a);
  expect(keyOf((await resumed.nth(7)) as Payload)).toBe(liveKey);
  // A marker event after the live one: events arrive in stream order, so a duplicate of a replayed
  // or live event would have arrived before it.
  const markerKey = await act(8, b);
  await resumed.nth(8);
  expect(resumed.received.map(({ payload }) => keyOf(payload as Payload))).toEqual([...missed, liveKey, markerKey]);
  expect(resumed.failures).toEqual([]);
}

describe('resuming a subscription on another server', () => {
  it('feedUpdated: the six missed posts in order, then live', async () => {
    const alice = await registerAccount(a.url, 'res_feed_alice');
    const bob = await registerAccount(a.url, 'res_feed_bob');
    await mutate(a, bob.token, `mutation($id: ID!) { follow(userId: $id) { id } }`, { id: alice.id });
    await missSixThenResume({
      query: `subscription($after: String) { feedUpdated(after: $after) { cursor kind postId post { body } } }`,
      variables: {},
      token: bob.token,
      act: async (i, server) =>
        (await mutate(server, alice.token, `mutation($b: String!) { createPost(body: $b) { id } }`, { b: `feed ${i}` }))
          .createPost.id,
      keyOf: (payload) => {
        const event = payload.data.feedUpdated;
        expect(event.cursor).toBe(payload.extensions?.cursor);
        return event.postId;
      },
    });
  });

  it('notificationReceived: the six missed likes in order, then live', async () => {
    const alice = await registerAccount(a.url, 'res_note_alice');
    const carol = await registerAccount(a.url, 'res_note_carol');
    const posts: string[] = [];
    for (let i = 0; i < 9; i++)
      posts.push(
        (await mutate(a, alice.token, `mutation($b: String!) { createPost(body: $b) { id } }`, { b: `like me ${i}` }))
          .createPost.id,
      );
    await missSixThenResume({
      query: `subscription($after: String) { notificationReceived(after: $after) { cursor kind actor { handle } post { id } } }`,
      variables: {},
      token: alice.token,
      act: async (i, server) => {
        await mutate(server, carol.token, `mutation($id: ID!) { likePost(postId: $id) { id } }`, { id: posts[i] });
        return posts[i]!;
      },
      keyOf: (payload) => {
        const note = payload.data.notificationReceived;
        expect(note).toMatchObject({ kind: 'POST_LIKED', actor: { handle: 'res_note_carol' } });
        expect(note.cursor).toBe(payload.extensions?.cursor);
        return note.post.id;
      },
    });
  });

  it('postActivity: the six missed like counts in order, then live', async () => {
    const alice = await registerAccount(a.url, 'res_act_alice');
    const fans = await Promise.all(Array.from({ length: 9 }, (_, i) => registerAccount(b.url, `res_act_fan${i}`)));
    const { createPost } = await mutate(a, alice.token, `mutation { createPost(body: "count my likes") { id } }`);
    await missSixThenResume({
      query: `subscription($id: ID!, $after: String) { postActivity(postId: $id, after: $after) { cursor post { id likeCount } } }`,
      variables: { id: createPost.id },
      act: async (i, server) => {
        await mutate(server, fans[i]!.token, `mutation($id: ID!) { likePost(postId: $id) { id } }`, {
          id: createPost.id,
        });
        return `liked by ${i}`;
      },
      // Hydration reads the current count, so a replayed event names the like by its position.
      keyOf: (payload) => {
        const activity = payload.data.postActivity;
        expect(activity.post.id).toBe(createPost.id);
        expect(activity.cursor).toBe(payload.extensions?.cursor);
        return `liked by ${activityIndex(payload.extensions!.cursor!)}`;
      },
    });
  });

  it('postCreated: the six missed posts in order, then live', async () => {
    const alice = await registerAccount(a.url, 'res_new_alice');
    await missSixThenResume({
      query: `subscription($author: ID, $after: String) { postCreated(authorId: $author, after: $after) { id body } }`,
      variables: { author: alice.id },
      act: async (i, server) =>
        (await mutate(server, alice.token, `mutation($b: String!) { createPost(body: $b) { id } }`, { b: `new ${i}` }))
          .createPost.id,
      keyOf: (payload) => payload.data.postCreated.id,
    });
  });

  it('refuses a malformed cursor with BAD_USER_INPUT and an unknown one with CURSOR_EXPIRED', async () => {
    const codes = async (after: string) => {
      const subscription = await subscribe(
        servers,
        b,
        undefined,
        `subscription($after: String) { postCreated(after: $after) { id } }`,
        { after },
      );
      await waitFor(async () => subscription.received.length > 0 || subscription.failures.length > 0, {
        message: 'the server never answered the resume',
      });
      const errors = (subscription.received[0]?.payload.errors ?? (subscription.failures[0] as never)) as readonly {
        extensions?: { code?: string };
      }[];
      return errors.map((error) => error.extensions?.code);
    };
    expect(await codes('definitely not a cursor')).toEqual(['BAD_USER_INPUT']);
    // Well-formed, but offset 0 holds another event than the one this tag names.
    expect(await codes(Buffer.from('1.0.AAAAAAAAAAA').toString('base64url'))).toEqual(['CURSOR_EXPIRED']);
  });
});

/**
 * postActivity payloads carry the post's current state, not the event's, so the like an event
 * stands for is told by the cursor's offset, relative to the first like's.
 */
const offsets: number[] = [];
function activityIndex(cursor: string): number {
  const offset = Number(Buffer.from(cursor, 'base64url').toString().split('.')[1]);
  if (!offsets.includes(offset)) offsets.push(offset);
  return offsets.indexOf(offset);
}
