import type { EventEnvelope, EventType } from '@micropost/events';
import type { Logger } from '@micropost/logger';
import { EVENT_RETENTION_MS, type FeedEventLog, type FeedUpdate } from './event-log.ts';
import { TOMBSTONE_RETENTION_MS, type AuthorPostProjection, type FollowerProjection } from './projections.ts';
import type { TimelineStore } from './timeline-store.ts';

/** What the feed consumes. */
export const FEED_BINDINGS = [
  'post.created',
  'post.deleted',
  'follow.created',
  'follow.deleted',
] as const satisfies readonly EventType[];

/** Users per fan-out chunk: one bulk write and one `feed.updated` (its limit is 1,000 userIds) each. */
export const FAN_OUT_CHUNK = 1000;
/** Posts per chunk of a backfill or an unfollow: one bulk write and one batch of `feed.updated` each. */
export const POST_CHUNK = 100;
/** How often a process counts the timelines that large fan-outs grew and trims those past cap + slack. */
export const TRIM_INTERVAL_MS = 2000;
/** How often a process deletes old markers and tombstones (FerretDB has no TTL indexes). */
export const CLEANUP_INTERVAL_MS = 60 * 60 * 1000;

export interface FeedProjectorDeps {
  timelines: TimelineStore;
  followers: FollowerProjection;
  authorPosts: AuthorPostProjection;
  log: FeedEventLog;
  /** Wakes the outbox relay once `feed.updated` events are due. */
  afterRelease: () => void;
  logger: Logger;
}

/** Thrown for an event no retry can fix; the bus retries it a bounded number of times, then dead-letters it. */
export class UnprocessableEventError extends Error {
  override name = 'UnprocessableEventError';
}

function parseTime(value: string, what: string): Date {
  const time = new Date(value);
  if (Number.isNaN(time.getTime()))
    throw new UnprocessableEventError(`${what} is not a time: ${JSON.stringify(value)}`);
  return time;
}

/** Groups of `size` in order. */
function chunks<T>(items: readonly T[], size: number): T[][] {
  const result: T[][] = [];
  for (let start = 0; start < items.length; start += size) result.push(items.slice(start, start + size));
  return result;
}

/**
 * Builds home timelines from events by fan-out on write, and publishes `feed.updated` for what
 * changed. Every handler is idempotent and order-tolerant:
 *
 * - writes are upserts and deletes that end in the same state however often they run;
 * - a deleted post leaves a tombstone, so its `post.created` can never put it back;
 * - follow state is last-writer-wins by event time, and only the event that currently wins
 *   applies its effect (backfill or removal), so a late `follow.created` cannot resurrect a follow;
 * - each handler checks after its writes what a concurrent handler may have changed meanwhile
 *   (a delete, an unfollow) and undoes what that makes wrong.
 *
 * Handled events are remembered (FeedEventLog), so a redelivery publishes nothing twice.
 */
export class FeedProjector {
  constructor(private readonly deps: FeedProjectorDeps) {}

  /** The consumer's handler. */
  handle = async (event: EventEnvelope): Promise<void> => {
    const { log, afterRelease } = this.deps;
    if (await log.isHandled(event.id)) return;
    await this.apply(event);
    if (await log.finish(event)) afterRelease();
  };

  /** The effect of one event, without the handled-event check (tests replay through this too). */
  async apply(event: EventEnvelope): Promise<void> {
    switch (event.type) {
      case 'post.created':
        return this.#postCreated(event);
      case 'post.deleted':
        return this.#postDeleted(event);
      case 'follow.created':
        return this.#followCreated(event);
      case 'follow.deleted':
        return this.#followDeleted(event);
      default:
        this.deps.logger.debug({ eventType: event.type }, 'event ignored by the feed');
    }
  }

  /** Fan-out: the author's own timeline and every active follower's, in chunks of FAN_OUT_CHUNK. */
  async #postCreated(event: EventEnvelope<'post.created'>): Promise<void> {
    const { timelines, followers, authorPosts, log } = this.deps;
    const { postId, authorId } = event.data;
    const createdAt = parseTime(event.data.createdAt, 'post.created createdAt');
    if (await authorPosts.isDeleted(postId)) return;
    await authorPosts.add({ postId, authorId, createdAt });

    const added = (userIds: string[]): FeedUpdate[] =>
      userIds.length === 0 ? [] : [{ kind: 'added', postId, authorId, userIds }];
    const write = async (owners: string[]) => {
      const chunk = owners.filter((id) => id !== authorId);
      const key = `fan-out:${owners[0]}`;
      await log.hold(event, key, added(owners));
      const trimmed = await timelines.add(owners.map((ownerId) => ({ ownerId, postId, authorId, createdAt })));
      // An unfollow may have run between reading the followers and writing: take the post back
      // from those, and announce it only to whoever holds it now (a trim may have taken it too).
      const stillFollowing = await followers.activeAmong(authorId, chunk);
      const unfollowed = chunk.filter((id) => !stillFollowing.has(id));
      await timelines.remove(unfollowed.map((ownerId) => ({ ownerId, postId, createdAt })));
      const gone = new Set([...unfollowed, ...trimmed.map((entry) => entry.ownerId)]);
      if (gone.size > 0) await log.hold(event, key, added(owners.filter((id) => !gone.has(id))));
    };
    let owners = [authorId];
    for await (const followerId of followers.activeFollowers(authorId, FAN_OUT_CHUNK)) {
      if (followerId === authorId) continue;
      owners.push(followerId);
      if (owners.length === FAN_OUT_CHUNK) {
        await write(owners);
        owners = [];
      }
    }
    if (owners.length > 0) await write(owners);

    // A delete that ran concurrently may have missed entries written after its sweep.
    if (await authorPosts.isDeleted(postId)) {
      await authorPosts.forget(postId, authorId);
      await timelines.removeEverywhere(postId);
      await log.withdraw(event);
    }
  }

  /** Removal everywhere, chunk by chunk of holders, each announced to exactly who lost it. */
  async #postDeleted(event: EventEnvelope<'post.deleted'>): Promise<void> {
    const { timelines, authorPosts, log } = this.deps;
    const { postId, authorId } = event.data;
    await authorPosts.markDeleted(postId, authorId);
    for (;;) {
      const holders = await timelines.holders(postId, FAN_OUT_CHUNK);
      if (holders.length === 0) break;
      const userIds = holders.map((entry) => entry.ownerId);
      await log.hold(event, `removal:${userIds[0]}`, [{ kind: 'removed', postId, authorId, userIds }]);
      await timelines.remove(holders);
    }
  }

  /** Backfill: the followee's recent posts into the follower's timeline, if this follow is the latest word. */
  async #followCreated(event: EventEnvelope<'follow.created'>): Promise<void> {
    const { timelines, followers, authorPosts, log } = this.deps;
    const { followerId, followeeId } = event.data;
    if (followerId === followeeId) return;
    const since = parseTime(event.data.createdAt, 'follow.created createdAt');
    await followers.record({
      followerId,
      followeeId,
      active: true,
      since,
      at: new Date(event.occurredAt),
      eventId: event.id,
    });
    if ((await followers.state(followerId, followeeId))?.changeId !== event.id) return; // a newer follow event won

    const posts = await authorPosts.recent(followeeId, timelines.options.cap);
    const batches = chunks(posts, POST_CHUNK);
    const announce = (batch: typeof posts) =>
      batch.map(({ postId }): FeedUpdate => ({ kind: 'added', postId, authorId: followeeId, userIds: [followerId] }));
    const trimmed = new Set<string>();
    for (const batch of batches) {
      await log.hold(event, `backfill:${batch[0]!.postId}`, announce(batch));
      const taken = await timelines.add(
        batch.map(({ postId, createdAt }) => ({ ownerId: followerId, postId, authorId: followeeId, createdAt })),
      );
      for (const entry of taken) trimmed.add(entry.postId);
    }

    // An unfollow that overtook this backfill, or deletes that ran meanwhile, win.
    if ((await followers.state(followerId, followeeId))?.active !== true) {
      await timelines.removeAuthor(followerId, followeeId);
      await log.withdraw(event);
      return;
    }
    const deleted = await authorPosts.deletedAmong(posts.map((post) => post.postId));
    await timelines.remove(
      posts.filter((post) => deleted.has(post.postId)).map((post) => ({ ...post, ownerId: followerId })),
    );
    if (deleted.size + trimmed.size === 0) return;
    const kept = (post: (typeof posts)[number]) => !deleted.has(post.postId) && !trimmed.has(post.postId);
    for (const batch of batches) await log.hold(event, `backfill:${batch[0]!.postId}`, announce(batch.filter(kept)));
  }

  /** Removes the followee's posts from the follower's timeline, if this unfollow is the latest word. */
  async #followDeleted(event: EventEnvelope<'follow.deleted'>): Promise<void> {
    const { timelines, followers, log } = this.deps;
    const { followerId, followeeId } = event.data;
    if (followerId === followeeId) return;
    await followers.record({
      followerId,
      followeeId,
      active: false,
      since: null,
      at: new Date(event.occurredAt),
      eventId: event.id,
    });
    if ((await followers.state(followerId, followeeId))?.changeId !== event.id) return; // a newer follow event won
    for (;;) {
      const entries = await timelines.postsOfAuthor(followerId, followeeId, POST_CHUNK);
      if (entries.length === 0) break;
      await log.hold(
        event,
        `removal:${entries[0]!.postId}`,
        entries.map(({ postId }) => ({ kind: 'removed', postId, authorId: followeeId, userIds: [followerId] })),
      );
      await timelines.remove(entries);
    }
  }

  /** Deletes handled-event markers and deleted-post tombstones past their retention (a PeriodicTask runs it). */
  async cleanUp(now = Date.now()): Promise<void> {
    const events = await this.deps.log.removeBefore(new Date(now - EVENT_RETENTION_MS));
    const tombstones = await this.deps.authorPosts.removeTombstonesBefore(new Date(now - TOMBSTONE_RETENTION_MS));
    if (events + tombstones > 0)
      this.deps.logger.info({ events, tombstones }, 'removed old event markers and tombstones');
  }
}
