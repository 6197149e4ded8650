import { describe, expect, it } from 'vitest';
import {
  createEvent,
  MalformedEventError,
  parseEnvelope,
  serializeEnvelope,
  topicMatches,
  withOutbox,
} from '../src/index.ts';

describe('envelope', () => {
  const event = createEvent(
    'user.updated',
    { userId: 'u1', handle: 'ada', displayName: 'Ada', bio: '', avatarUrl: null, revision: 1 },
    { requestId: 'r1' },
  );

  it('carries id, type, version, time, request id and data, and survives the wire', () => {
    expect(event).toMatchObject({
      type: 'user.updated',
      version: 1,
      requestId: 'r1',
      data: { userId: 'u1', avatarUrl: null },
    });
    expect(event.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Date(event.occurredAt).toISOString()).toBe(event.occurredAt);
    expect(parseEnvelope(serializeEnvelope(event))).toEqual(event);
  });

  it.each([
    ['not JSON', '{'],
    ['no id', JSON.stringify({ ...event, id: undefined })],
    ['an unknown type', JSON.stringify({ ...event, type: 'user.exploded' })],
    ['bad data', JSON.stringify({ ...event, data: { userId: 1 } })],
    ['a bad time', JSON.stringify({ ...event, occurredAt: 'yesterday' })],
  ])('rejects a message with %s', (_, body) => {
    expect(() => parseEnvelope(Buffer.from(body))).toThrow(MalformedEventError);
  });
});

describe('topicMatches', () => {
  it.each([
    ['user.*', 'user.registered', true],
    ['user.*', 'user.registered.extra', false],
    ['user.#', 'user', true],
    ['#', 'post.liked', true],
    ['*.liked', 'post.liked', true],
    ['#.liked', 'a.b.liked', true],
    ['post.*', 'user.registered', false],
  ])('%s vs %s → %s', (pattern, key, expected) => {
    expect(topicMatches(pattern, key)).toBe(expected);
  });
});

describe('withOutbox', () => {
  it("keeps the caller's operators and adds the events with a due time", () => {
    const event = createEvent('user.registered', {
      userId: 'u',
      handle: 'h',
      displayName: 'd',
      createdAt: new Date().toISOString(),
    });
    const update = withOutbox({ $set: { displayName: 'x' }, $inc: { n: 1 }, $push: { tags: 'a' } }, [event]) as Record<
      string,
      Record<string, unknown>
    >;
    expect(update.$set).toMatchObject({ displayName: 'x', outboxDueAt: expect.any(Date), outboxPending: true });
    expect(update.$inc).toEqual({ n: 1 });
    expect(update.$push).toEqual({ tags: 'a', outbox: { $each: [event] } });
  });
});
