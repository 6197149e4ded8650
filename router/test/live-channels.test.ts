import { describe, expect, it } from 'vitest';
import { createEvent } from '@micropost/events';
import { liveDeliveries } from '../src/live/live-channels.ts';

describe('liveDeliveries', () => {
  it('sends feed.updated to the feed channel of each user named', () => {
    const event = createEvent('feed.updated', { kind: 'removed', postId: 'p1', authorId: 'a', userIds: ['u1', 'u2'] });
    expect(liveDeliveries(event)).toEqual([
      { channel: 'feed:u1', payload: { type: 'feed', kind: 'POST_REMOVED', postId: 'p1' } },
      { channel: 'feed:u2', payload: { type: 'feed', kind: 'POST_REMOVED', postId: 'p1' } },
    ]);
  });

  it('notifies the followee of a follow and of an unfollow', () => {
    const followed = createEvent('follow.created', {
      followerId: 'f',
      followeeId: 'e',
      createdAt: '2026-11-29T00:00:00.000Z',
    });
    expect(liveDeliveries(followed)).toEqual([
      {
        channel: 'notifications:e',
        payload: {
          type: 'notification',
          kind: 'NEW_FOLLOWER',
          actorId: 'f',
          postId: null,
          occurredAt: followed.occurredAt,
        },
      },
    ]);
    const unfollowed = createEvent('follow.deleted', { followerId: 'f', followeeId: 'e' });
    expect(liveDeliveries(unfollowed)[0]!.payload).toMatchObject({ kind: 'LOST_FOLLOWER', actorId: 'f' });
  });

  it('sends a like to the post’s watchers and notifies its author, unless the author liked it', () => {
    const liked = createEvent('post.liked', { postId: 'p', authorId: 'a', likerId: 'l', likeCount: 3 });
    expect(liveDeliveries(liked).map((delivery) => delivery.channel)).toEqual(['postActivity:p', 'notifications:a']);
    expect(liveDeliveries(liked)[1]!.payload).toMatchObject({ kind: 'POST_LIKED', actorId: 'l', postId: 'p' });
    const selfLike = createEvent('post.liked', { postId: 'p', authorId: 'a', likerId: 'a', likeCount: 1 });
    expect(liveDeliveries(selfLike).map((delivery) => delivery.channel)).toEqual(['postActivity:p']);
    const unliked = createEvent('post.unliked', { postId: 'p', authorId: 'a', likerId: 'l', likeCount: 2 });
    expect(liveDeliveries(unliked).map((delivery) => delivery.channel)).toEqual(['postActivity:p']);
  });

  it('sends a new post to its author’s channel and to the every-author channel', () => {
    const created = createEvent('post.created', {
      postId: 'p',
      authorId: 'a',
      body: 'hi',
      createdAt: '2026-11-29T00:00:00.000Z',
    });
    expect(liveDeliveries(created).map((delivery) => delivery.channel)).toEqual(['postCreated:a', 'postCreated:*']);
  });

  it('ignores events no live client needs', () => {
    expect(
      liveDeliveries(createEvent('user.registered', { userId: 'u', handle: 'u', displayName: 'U', createdAt: 'x' })),
    ).toEqual([]);
  });
});
