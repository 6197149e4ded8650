import { setTimeout as sleep } from 'node:timers/promises';
import type { Collection, Db } from 'mongodb';
import { createEvent, ensureOutboxIndex, outboxFields, withOutbox, type OutboxFields } from '@micropost/events';
import {
  findByIds,
  insertIfAbsent,
  upsertOne,
  ObjectId,
  parseObjectId,
  shardBy,
  type ShardKeys,
} from '@micropost/mongo';
import { findPagesByParent, olderThan, type Page } from '@micropost/server';

/**
 * One follow: `followerId` follows `followeeId`. Unique per pair. Where it lives in a sharded
 * cluster: `FollowStore.shardKeys`.
 *
 * An unfollowed edge is kept as a tombstone (`tombstone: true`) until the outbox relay has
 * published its `follow.deleted`, then the relay removes it; every read skips tombstones.
 */
export interface FollowDocument extends Partial<OutboxFields> {
  _id: ObjectId;
  followerId: ObjectId;
  followeeId: ObjectId;
  /** When the follow happened (a re-follow of a tombstone starts anew); lists sort by it, newest first. */
  createdAt: Date;
  /** False while the `counts` of both users may not yet reflect this edge's latest change. */
  counted: boolean;
  /** When `counted` last became false: the reconciler takes over edges left unsettled for long. */
  changedAt: Date;
}

/**
 * Follower and following counters of one user, maintained on write (a read never counts edges).
 * A user nobody follows and who follows nobody has no document: both counts are 0.
 */
export interface CountsDocument {
  /** The user's id. */
  _id: ObjectId;
  followers?: number;
  following?: number;
}

export interface FollowCounts {
  readonly followers: number;
  readonly following: number;
}

/** Set on the reconciler's commands, so they can be told apart from request work (logs, tests). */
export const RECONCILER_COMMENT = 'follows-counter-reconciler';
/** An edge unsettled for longer than this is presumed abandoned by a crashed writer. */
export const STUCK_AFTER_MS = 30_000;
/** An unfollow waits this long for a concurrent change of the same edge to settle before settling it itself. */
const SETTLE_WAIT_MS = 2_000;
const MAX_ATTEMPTS = 10;

const NOT_TOMBSTONED = { tombstone: { $exists: false } } as const;
const hex = (id: ObjectId) => id.toHexString();

/**
 * The only code that touches the `follows` and `counts` collections.
 *
 * Counters and crash-safety. FerretDB (and this code, for portability) has no multi-document
 * transactions, so an edge and the two counters it affects are separate writes. Every change of an
 * edge's state therefore goes: (1) a write to the edge that sets `counted: false`, (2) the `$inc`
 * of both counters, (3) `counted: true`. A process that dies between (1) and (3) leaves the edge
 * at `counted: false`; `reconcileStuckCounts` (at start-up and every minute) recounts the two users
 * of any edge unsettled for more than 30 s from the indexed edge lists and marks it settled.
 * Each state change is exclusive (the unique index for a new edge, a conditional update for the
 * others, and an unfollow only claims a settled edge), so each counter change is applied once.
 *
 * An unfollow decrements BEFORE it tombstones: the relay removes a tombstone as soon as its event
 * is out, so a tombstone left at `counted: false` could vanish before the reconciler saw it. The
 * unfollow first marks the still-live edge `counted: false`, decrements, and then writes the
 * tombstone (with `counted: true` and its `follow.deleted`) in one write. A crash in between
 * leaves a live unsettled edge, which the reconciler recounts (the follow still exists).
 */
export class FollowStore {
  private constructor(
    readonly follows: Collection<FollowDocument>,
    readonly counts: Collection<CountsDocument>,
    private readonly afterWrite: () => void,
  ) {}

  static readonly shardKeys: ShardKeys = {
    follows: shardBy(
      { followerId: 1, followeeId: 1 },
      'follow, unfollow, following lists and viewerFollows name the follower; ranged, as the unique pair index must ' +
        'start with the key; the followers list (by followee) is the one broadcast',
    ),
    counts: shardBy({ _id: 'hashed' }, 'read and written by user id only'),
  };

  static async open(db: Db, afterWrite: () => void): Promise<FollowStore> {
    const follows = db.collection<FollowDocument>('follows');
    await follows.createIndex({ followerId: 1, followeeId: 1 }, { unique: true, name: 'pair_unique' });
    await follows.createIndex({ followeeId: 1, createdAt: -1, _id: -1 }, { name: 'followers_newest_first' });
    await follows.createIndex({ followerId: 1, createdAt: -1, _id: -1 }, { name: 'following_newest_first' });
    await follows.createIndex({ counted: 1, changedAt: 1 }, { name: 'unsettled' });
    await ensureOutboxIndex(follows);
    return new FollowStore(follows, db.collection<CountsDocument>('counts'), afterWrite);
  }

  /**
   * Makes `followerId` follow `followeeId` and queues `follow.created`. Idempotent: when the edge
   * exists already nothing changes (no second event, no count change).
   */
  async follow(followerId: ObjectId, followeeId: ObjectId, requestId: string): Promise<void> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const now = new Date();
      const event = createEvent(
        'follow.created',
        { followerId: hex(followerId), followeeId: hex(followeeId), createdAt: now.toISOString() },
        { requestId },
      );
      const edge: FollowDocument = {
        _id: new ObjectId(),
        followerId,
        followeeId,
        createdAt: now,
        counted: false,
        changedAt: now,
        ...outboxFields([event]),
      };
      if (await this.insertEdge(edge)) {
        this.afterWrite();
        await this.settle(edge, +1);
        return;
      }
      // The pair exists. A tombstone (unfollowed, its event not yet published) is revived in place,
      // since the unique index keeps a new edge out until the relay removes it.
      const revived = await this.follows.findOneAndUpdate(
        { followerId, followeeId, tombstone: true },
        withOutbox<FollowDocument>(
          { $set: { createdAt: now, counted: false, changedAt: now }, $unset: { tombstone: '' } },
          [event],
        ),
        { returnDocument: 'after' },
      );
      if (revived) {
        this.afterWrite();
        await this.settle(revived, +1);
        return;
      }
      if (await this.follows.findOne({ followerId, followeeId, ...NOT_TOMBSTONED }, { projection: { _id: 1 } })) return; // already following
      // The tombstone was removed between our insert and our revival: try the insert again.
    }
    throw new Error(`follow ${hex(followerId)} → ${hex(followeeId)} kept changing under us ${MAX_ATTEMPTS} times`);
  }

  /** Ends the follow and queues `follow.deleted`. Idempotent: not following changes nothing. */
  async unfollow(followerId: ObjectId, followeeId: ObjectId, requestId: string): Promise<void> {
    let settleBy = Date.now() + SETTLE_WAIT_MS;
    const giveUpAt = Date.now() + 3 * SETTLE_WAIT_MS;
    while (Date.now() < giveUpAt) {
      const changedAt = new Date();
      const claimed = await this.follows.findOneAndUpdate(
        { followerId, followeeId, ...NOT_TOMBSTONED, counted: true },
        { $set: { counted: false, changedAt } },
        { returnDocument: 'after' },
      );
      if (claimed) {
        await this.incrementCounts(claimed, -1);
        const event = createEvent(
          'follow.deleted',
          { followerId: hex(followerId), followeeId: hex(followeeId) },
          { requestId },
        );
        const tombstoned = await this.follows.updateOne(
          { _id: claimed._id, followerId, counted: false, changedAt },
          withOutbox<FollowDocument>({ $set: { tombstone: true, counted: true, changedAt: new Date() } }, [event]),
        );
        if (tombstoned.matchedCount === 1) {
          this.afterWrite();
          return;
        }
        // Only the reconciler settles someone else's edge, after 30 s: it recounted with the edge
        // still live, so go round again and unfollow it properly.
        continue;
      }
      const live = await this.follows.findOne({ followerId, followeeId, ...NOT_TOMBSTONED });
      if (!live) return; // not following: nothing to do
      // Live but unsettled: another change of this edge is between its writes. Wait for it; if it
      // never finishes (its process died), settle the edge ourselves rather than fail the request.
      if (Date.now() >= settleBy) {
        await this.recount(live);
        settleBy = Date.now() + SETTLE_WAIT_MS;
      } else {
        await sleep(20);
      }
    }
    throw new Error(`unfollow ${hex(followerId)} → ${hex(followeeId)} kept changing under us`);
  }

  /** For each user, up to `page.first + 1` live edges to them, newest first: one query per batch. */
  followersOf(userIds: readonly string[], page: Page): Promise<FollowDocument[][]> {
    return this.pages('followeeId', userIds, page);
  }

  /** For each user, up to `page.first + 1` live edges from them, newest first: one query per batch. */
  followingOf(userIds: readonly string[], page: Page): Promise<FollowDocument[][]> {
    return this.pages('followerId', userIds, page);
  }

  /** One query for a whole batch; results line up with `userIds` (zeros for unknown or malformed ids). */
  async countsOf(userIds: readonly string[]): Promise<FollowCounts[]> {
    const ids = validIds(userIds);
    const found = await findByIds(this.counts, ids);
    const byId = new Map(found.map((doc) => [hex(doc._id), doc]));
    return userIds.map((id) => {
      const doc = byId.get(id.toLowerCase());
      // Clamped: a counter can only be off while a change is in flight, never shown below zero.
      return { followers: Math.max(0, doc?.followers ?? 0), following: Math.max(0, doc?.following ?? 0) };
    });
  }

  /** Whether `viewerId` follows each of `userIds`, in one query; results line up with `userIds`. */
  async followsEach(viewerId: ObjectId, userIds: readonly string[]): Promise<boolean[]> {
    const ids = validIds(userIds);
    const found =
      ids.length === 0
        ? []
        : await this.follows
            .find(
              { followerId: viewerId, followeeId: { $in: ids }, ...NOT_TOMBSTONED },
              { projection: { followeeId: 1 } },
            )
            .toArray();
    const followed = new Set(found.map((edge) => hex(edge.followeeId)));
    return userIds.map((id) => followed.has(id.toLowerCase()));
  }

  /**
   * Settles edges left at `counted: false` for longer than `stuckAfterMs` (their writer died between
   * the edge write and the counters): recounts both users from the indexed edge lists and marks the
   * edge counted. Bounded to `batch` edges per call; returns how many it settled.
   */
  async reconcileStuckCounts({ stuckAfterMs = STUCK_AFTER_MS, batch = 100, now = Date.now() } = {}): Promise<number> {
    const stuck = await this.follows
      .find({ counted: false, changedAt: { $lt: new Date(now - stuckAfterMs) } }, { comment: RECONCILER_COMMENT })
      .sort({ counted: 1, changedAt: 1 })
      .limit(batch)
      .toArray();
    for (const edge of stuck) await this.recount(edge);
    return stuck.length;
  }

  private async pages(
    parentField: 'followeeId' | 'followerId',
    userIds: readonly string[],
    page: Page,
  ): Promise<FollowDocument[][]> {
    const parents = userIds.map(parseObjectId);
    const valid = parents.filter((id): id is ObjectId => id !== null);
    const found = await findPagesByParent(this.follows, {
      parentField,
      parents: valid,
      keyOf: hex,
      filter: { ...NOT_TOMBSTONED, ...olderThan(page.after, { at: 'createdAt', id: '_id' }, parseObjectId) },
      sort: { createdAt: -1, _id: -1 },
      perParent: page.first + 1,
    });
    const byParent = new Map(found.map((edges, i) => [hex(valid[i]!), edges]));
    return parents.map((id) => (id === null ? [] : (byParent.get(hex(id)) ?? [])));
  }

  /** Inserts a new edge; false when the pair exists already (live or tombstone). */
  private async insertEdge(edge: FollowDocument): Promise<boolean> {
    return insertIfAbsent(this.follows, edge);
  }

  /** Steps (2) and (3) of a change: apply its counter delta, then mark the edge settled. */
  private async settle(edge: FollowDocument, delta: 1 | -1): Promise<void> {
    await this.incrementCounts(edge, delta);
    await this.follows.updateOne(
      { _id: edge._id, followerId: edge.followerId, counted: false, changedAt: edge.changedAt },
      { $set: { counted: true } },
    );
  }

  private async incrementCounts(edge: FollowDocument, delta: 1 | -1): Promise<void> {
    await this.upsertCounts(edge.followeeId, { $inc: { followers: delta } });
    await this.upsertCounts(edge.followerId, { $inc: { following: delta } });
  }

  /** Recounts both users of `edge` from the edge lists and marks it settled (unless it changed meanwhile). */
  private async recount(edge: FollowDocument): Promise<void> {
    const options = { comment: RECONCILER_COMMENT };
    const followers = await this.follows.countDocuments({ followeeId: edge.followeeId, ...NOT_TOMBSTONED }, options);
    const following = await this.follows.countDocuments({ followerId: edge.followerId, ...NOT_TOMBSTONED }, options);
    await this.upsertCounts(edge.followeeId, { $set: { followers } });
    await this.upsertCounts(edge.followerId, { $set: { following } });
    await this.follows.updateOne(
      { _id: edge._id, followerId: edge.followerId, counted: false, changedAt: edge.changedAt },
      { $set: { counted: true } },
    );
  }

  private async upsertCounts(
    userId: ObjectId,
    update: { $inc: Partial<FollowCounts> } | { $set: Partial<FollowCounts> },
  ): Promise<void> {
    await upsertOne(this.counts, { _id: userId }, update);
  }
}

function validIds(ids: readonly string[]): ObjectId[] {
  return [...new Set(ids.map((id) => id.toLowerCase()))].map(parseObjectId).filter((id): id is ObjectId => id !== null);
}
