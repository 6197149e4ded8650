import type { EventEnvelope } from '@micropost/events';

/** What one live subscription listens to; the hub indexes subscriptions by it. */
export type LiveChannel =
  | `feed:${string}`
  | `notifications:${string}`
  | `postActivity:${string}`
  | `postCreated:${string}`;

/** `postCreated` without an author listens here. */
export const EVERY_AUTHOR = '*';

export type LivePayload =
  | { readonly type: 'feed'; readonly kind: 'POST_ADDED' | 'POST_REMOVED'; readonly postId: string }
  | {
      readonly type: 'notification';
      readonly kind: 'NEW_FOLLOWER' | 'LOST_FOLLOWER' | 'POST_LIKED';
      readonly actorId: string;
      readonly postId: string | null;
      readonly occurredAt: string;
    }
  | { readonly type: 'postActivity'; readonly postId: string }
  | { readonly type: 'postCreated'; readonly postId: string };

export interface LiveDelivery {
  readonly channel: LiveChannel;
  readonly payload: LivePayload;
}

/** The domain events live clients need: the per-server queue binds exactly these. */
export const LIVE_EVENT_TYPES = [
  'feed.updated',
  'follow.created',
  'follow.deleted',
  'post.created',
  'post.liked',
  'post.unliked',
] as const;

/** The deliveries one domain event causes, by channel; events no live client needs cause none. */
export function liveDeliveries(event: EventEnvelope): LiveDelivery[] {
  switch (event.type) {
    case 'feed.updated': {
      const kind = event.data.kind === 'added' ? 'POST_ADDED' : 'POST_REMOVED';
      return event.data.userIds.map((userId) => ({
        channel: `feed:${userId}`,
        payload: { type: 'feed', kind, postId: event.data.postId },
      }));
    }
    case 'follow.created':
    case 'follow.deleted':
      return [
        {
          channel: `notifications:${event.data.followeeId}`,
          payload: {
            type: 'notification',
            kind: event.type === 'follow.created' ? 'NEW_FOLLOWER' : 'LOST_FOLLOWER',
            actorId: event.data.followerId,
            postId: null,
            occurredAt: event.occurredAt,
          },
        },
      ];
    case 'post.created': {
      const payload = { type: 'postCreated', postId: event.data.postId } as const;
      return [
        { channel: `postCreated:${event.data.authorId}`, payload },
        { channel: `postCreated:${EVERY_AUTHOR}`, payload },
      ];
    }
    case 'post.liked':
    case 'post.unliked': {
      const activity: LiveDelivery = {
        channel: `postActivity:${event.data.postId}`,
        payload: { type: 'postActivity', postId: event.data.postId },
      };
      // Liking your own post is not news to you.
      if (event.type === 'post.unliked' || event.data.likerId === event.data.authorId) return [activity];
      return [
        activity,
        {
          channel: `notifications:${event.data.authorId}`,
          payload: {
            type: 'notification',
            kind: 'POST_LIKED',
            actorId: event.data.likerId,
            postId: event.data.postId,
            occurredAt: event.occurredAt,
          },
        },
      ];
    }
    default:
      return [];
  }
}
