import { describe, expect, it } from 'vitest';
import { buildSchema, graphql, parse, subscribe, type ExecutionResult } from 'graphql';
import type { Identity } from '@micropost/auth';
import { createLogger } from '@micropost/logger';
import { encodeCursor } from '../src/live/cursor.ts';
import { subscribeWithCursor } from '../src/live/subscribe-with-cursor.ts';
import { HydrationScope, type GatewayExecutor } from '../src/live/hydrator.ts';
import { LiveHub } from '../src/live/live-hub.ts';
import { subscriptionSchema, type LiveItem } from '../src/live/subscription-schema.ts';

/** The slice of the API schema the subscription types touch. */
const sdl = /* GraphQL */ `
  scalar DateTime
  type User { id: ID! handle: String! viewerFollows: Boolean! }
  type Post { id: ID! body: String! excerpt(length: Int!): String! viewerHasLiked: Boolean! author: User! }
  enum FeedEventKind { POST_ADDED POST_REMOVED }
  type FeedEvent { cursor: String! kind: FeedEventKind! postId: ID! post: Post }
  enum NotificationKind { NEW_FOLLOWER LOST_FOLLOWER POST_LIKED }
  type Notification { cursor: String! kind: NotificationKind! actor: User! post: Post occurredAt: DateTime! }
  type PostActivity { cursor: String! post: Post! }
  type Query { post(id: ID!): Post user(id: ID!): User }
  type Subscription { feedUpdated(after: String): FeedEvent! notificationReceived(after: String): Notification! postActivity(postId: ID!, after: String): PostActivity! postCreated(authorId: ID, after: String): Post! }
`;

/** Stands in for the gateway: answers hydration queries from a tiny in-memory graph and records them. */
function recordingGateway() {
  const calls: { query: string; viewer: Identity | null }[] = [];
  const backend = buildSchema(sdl);
  const post = (id: string) => ({
    id,
    body: `body of ${id}`,
    excerpt: ({ length }: { length: number }) => `body of ${id}`.slice(0, length),
    author: { id: 'a1', handle: 'alice', viewerFollows: false },
  });
  const execute: GatewayExecutor = async (query, variables, viewer) => {
    calls.push({ query, viewer });
    const rootValue = {
      post: ({ id }: { id: string }) => ({ ...post(id), viewerHasLiked: viewer?.userId === 'fan' }),
      user: ({ id }: { id: string }) => ({ id, handle: `user ${id}`, viewerFollows: false }),
    };
    return (await graphql({ schema: backend, source: query, variableValues: variables, rootValue })) as never;
  };
  return { calls, execute };
}

async function setup() {
  const logger = createLogger('test', 'silent');
  const hub = new LiveHub<LiveItem>(16, logger);
  const gateway = recordingGateway();
  const schema = subscriptionSchema(buildSchema(sdl));
  const open = async (query: string, viewer: Identity | null, variableValues?: Record<string, unknown>) => {
    const result = await subscribe({ schema, document: parse(query), contextValue: { viewer, hub }, variableValues });
    if (!(Symbol.asyncIterator in result)) return { errors: result.errors, next: async () => result };
    return { errors: undefined, next: async () => (await result.next()).value as ExecutionResult };
  };
  const deliverFeed = (kind: 'POST_ADDED' | 'POST_REMOVED', postId: string, userIds: string[]) => {
    const scope = new HydrationScope(gateway.execute, logger);
    for (const userId of userIds)
      hub.deliver(`feed:${userId}`, {
        cursor: `c-${postId}`,
        offset: 0,
        eventId: `e-${postId}`,
        payload: { type: 'feed', kind, postId },
        scope,
      });
  };
  return { hub, gateway, open, deliverFeed, logger };
}

describe('the subscription schema', () => {
  it('hydrates one event for many subscribers with one gateway query when nothing depends on the viewer', async () => {
    const { gateway, open, deliverFeed } = await setup();
    const query = `subscription { feedUpdated { kind postId post { body author { handle } } } }`;
    const subscribers = await Promise.all(['u1', 'u2', 'u3'].map((userId) => open(query, { userId })));
    deliverFeed('POST_ADDED', 'p1', ['u1', 'u2', 'u3']);
    const results = await Promise.all(subscribers.map((subscriber) => subscriber.next()));
    for (const result of results) {
      expect(result).toEqual({
        data: {
          feedUpdated: { kind: 'POST_ADDED', postId: 'p1', post: { body: 'body of p1', author: { handle: 'alice' } } },
        },
      });
    }
    expect(gateway.calls).toHaveLength(1);
    expect(gateway.calls[0]!.viewer).toBeNull();
  });

  it('hydrates per viewer when the selection asks for viewer-dependent fields', async () => {
    const { gateway, open, deliverFeed } = await setup();
    const query = `subscription { feedUpdated { post { id viewerHasLiked } } }`;
    const fan = await open(query, { userId: 'fan' });
    const other = await open(query, { userId: 'other' });
    deliverFeed('POST_ADDED', 'p1', ['fan', 'other']);
    expect((await fan.next()).data).toEqual({ feedUpdated: { post: { id: 'p1', viewerHasLiked: true } } });
    expect((await other.next()).data).toEqual({ feedUpdated: { post: { id: 'p1', viewerHasLiked: false } } });
    expect(gateway.calls.map((call) => call.viewer?.userId).sort()).toEqual(['fan', 'other']);
  });

  it('keeps the subscriber’s aliases, fragments and variables', async () => {
    const { open, deliverFeed } = await setup();
    const query = `
      subscription Feed($n: Int!) { feedUpdated { postId item: post { ...Bits short: excerpt(length: $n) } } }
      fragment Bits on Post { text: body author { name: handle } }`;
    const subscriber = await open(query, { userId: 'u1' }, { n: 4 });
    deliverFeed('POST_ADDED', 'p9', ['u1']);
    expect((await subscriber.next()).data).toEqual({
      feedUpdated: { postId: 'p9', item: { text: 'body of p9', author: { name: 'alice' }, short: 'body' } },
    });
  });

  it('fetches once for subscribers who spell one selection with different aliases', async () => {
    const { gateway, open, deliverFeed } = await setup();
    const spellings = [
      `subscription { feedUpdated { post { body short: excerpt(length: 4) author { handle } } } }`,
      `subscription { feedUpdated { p: post { b: body s: excerpt(length: 4) a: author { h: handle } } } }`,
      `subscription($n: Int!) { feedUpdated { x: post { y: body z: excerpt(length: $n) w: author { v: handle } } } }`,
    ];
    const subscribers = await Promise.all(spellings.map((query, i) => open(query, { userId: `u${i}` }, { n: 4 })));
    deliverFeed('POST_ADDED', 'p1', ['u0', 'u1', 'u2']);
    const [plain, short, other] = await Promise.all(subscribers.map((subscriber) => subscriber.next()));
    expect(plain!.data).toEqual({
      feedUpdated: { post: { body: 'body of p1', short: 'body', author: { handle: 'alice' } } },
    });
    expect(short!.data).toEqual({ feedUpdated: { p: { b: 'body of p1', s: 'body', a: { h: 'alice' } } } });
    expect(other!.data).toEqual({ feedUpdated: { x: { y: 'body of p1', z: 'body', w: { v: 'alice' } } } });
    expect(gateway.calls).toHaveLength(1);
  });

  it('hydrates each event in a scope of its own: two events, two gateway queries', async () => {
    const { gateway, open, deliverFeed } = await setup();
    const subscriber = await open(`subscription { feedUpdated { post { body } } }`, { userId: 'u1' });
    deliverFeed('POST_ADDED', 'p1', ['u1']);
    deliverFeed('POST_ADDED', 'p2', ['u1']);
    expect((await subscriber.next()).data).toEqual({ feedUpdated: { post: { body: 'body of p1' } } });
    expect((await subscriber.next()).data).toEqual({ feedUpdated: { post: { body: 'body of p2' } } });
    expect(gateway.calls).toHaveLength(2);
  });

  it('gives POST_REMOVED without a post and without asking the gateway', async () => {
    const { gateway, open, deliverFeed } = await setup();
    const subscriber = await open(`subscription { feedUpdated { cursor kind postId post { body } } }`, {
      userId: 'u1',
    });
    deliverFeed('POST_REMOVED', 'p1', ['u1']);
    expect((await subscriber.next()).data).toEqual({
      feedUpdated: { cursor: 'c-p1', kind: 'POST_REMOVED', postId: 'p1', post: null },
    });
    expect(gateway.calls).toHaveLength(0);
  });

  it('refuses feedUpdated and notificationReceived without a viewer', async () => {
    const { open } = await setup();
    for (const field of ['feedUpdated { kind }', 'notificationReceived { kind }']) {
      const { errors } = await open(`subscription { ${field} }`, null);
      expect(errors?.map((error) => error.extensions.code)).toEqual(['UNAUTHENTICATED']);
    }
  });

  it('refuses a malformed `after` with BAD_USER_INPUT and an unretained one with CURSOR_EXPIRED', async () => {
    const { open } = await setup();
    const malformed = await open(`subscription { postCreated(after: "not a cursor") { id } }`, null);
    expect(malformed.errors?.map((error) => error.extensions.code)).toEqual(['BAD_USER_INPUT']);
    const cursor = encodeCursor(12, '00000000-0000-4000-8000-000000000000');
    const expired = await open(`subscription Resume($after: String) { postCreated(after: $after) { id } }`, null, {
      after: cursor,
    });
    expect(expired.errors?.map((error) => error.extensions.code)).toEqual(['CURSOR_EXPIRED']);
  });

  it('puts the event’s cursor in the extensions of every result', async () => {
    const { hub, gateway, logger } = await setup();
    const schema = subscriptionSchema(buildSchema(sdl));
    const stream = await subscribeWithCursor({
      schema,
      document: parse(`subscription { postCreated { body } }`),
      contextValue: { viewer: null, hub },
    });
    if (!(Symbol.asyncIterator in stream)) throw new Error('expected a stream');
    hub.deliver('postCreated:*', {
      cursor: 'c-7',
      offset: 7,
      eventId: 'e7',
      payload: { type: 'postCreated', postId: 'p7' },
      scope: new HydrationScope(gateway.execute, logger),
    });
    expect((await stream.next()).value).toEqual({
      data: { postCreated: { body: 'body of p7' } },
      extensions: { cursor: 'c-7' },
    });
    await stream.return(undefined);
    expect(hub.subscriptionCount).toBe(0);
  });

  it('executes the events a replay already holds together: one gateway query for the batch', async () => {
    const { hub, gateway, logger } = await setup();
    const scope = new HydrationScope(gateway.execute, logger);
    const held: LiveItem[] = [1, 2, 3, 4, 5].map((n) => ({
      cursor: `c-${n}`,
      offset: n,
      eventId: `e${n}`,
      payload: { type: 'postCreated', postId: `p${n}` },
      scope,
    }));
    const replay = {
      next: async () => (held.length ? { value: held.shift()!, done: false } : { value: undefined, done: true }),
      return: async () => ({ value: undefined, done: true }),
      takeBuffered: (max: number) => held.splice(0, max),
      [Symbol.asyncIterator]() {
        return this;
      },
    };
    const stream = await subscribeWithCursor({
      schema: subscriptionSchema(buildSchema(sdl)),
      document: parse(`subscription($after: String) { postCreated(after: $after) { body } }`),
      variableValues: { after: encodeCursor(0, 'e0') },
      contextValue: { viewer: null, hub, resume: async () => replay },
    });
    if (!(Symbol.asyncIterator in stream)) throw new Error(JSON.stringify(stream));
    const results = [];
    for (let n = 0; n < 5; n++) results.push((await stream.next()).value);
    expect(results.map((result) => [result.data.postCreated.body, result.extensions.cursor])).toEqual(
      [1, 2, 3, 4, 5].map((n) => [`body of p${n}`, `c-${n}`]),
    );
    expect(gateway.calls).toHaveLength(1);
  });

  it('resolves notifications with their actor and post', async () => {
    const { hub, gateway, open, logger } = await setup();
    const subscriber = await open(
      `subscription { notificationReceived { kind occurredAt actor { handle } post { body } } }`,
      { userId: 'a1' },
    );
    const scope = new HydrationScope(gateway.execute, logger);
    hub.deliver('notifications:a1', {
      cursor: 'c-n1',
      offset: 1,
      eventId: 'n1',
      payload: {
        type: 'notification',
        kind: 'POST_LIKED',
        actorId: 'u7',
        postId: 'p3',
        occurredAt: '2026-11-29T00:00:00.000Z',
      },
      scope,
    });
    expect((await subscriber.next()).data).toEqual({
      notificationReceived: {
        kind: 'POST_LIKED',
        occurredAt: '2026-11-29T00:00:00.000Z',
        actor: { handle: 'user u7' },
        post: { body: 'body of p3' },
      },
    });
  });
});
