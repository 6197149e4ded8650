import type { Collection, Db } from 'mongodb';
import { shardBy, upsertOne, type ShardKeys } from '@micropost/mongo';
import { TIMELINE_CAP, TRIM_SLACK, type CapOptions } from './timeline-store.ts';

/**
 * Who follows whom, as the follow events told it. A pair's document stays after an unfollow
 * (`active: false`): it is the small tombstone that stops a late or redelivered `follow.created`
 * from resurrecting the follow. Changes apply last-writer-wins by (event time, event id), so any
 * delivery order converges on the state of the newest event.
 */
interface FollowerDocument {
  /** `<followeeId>/<followerId>`: the pair's state is one lookup by `_id`. */
  _id: string;
  followeeId: string;
  followerId: string;
  active: boolean;
  /** When the follow began (from `follow.created`); null while not following. */
  since: Date | null;
  /** Time and id of the event this state comes from. */
  changedAt: Date;
  changeId: string;
}

const followId = (followeeId: string, followerId: string) => `${followeeId}/${followerId}`;
/** Ids per `$in`: the longest list the patched FerretDB hands to PostgreSQL. */
const IN_BATCH = 100;

export interface FollowChange {
  followerId: string;
  followeeId: string;
  active: boolean;
  since: Date | null;
  /** The event's `occurredAt` and id: the state's version. */
  at: Date;
  eventId: string;
}

export interface FollowState {
  active: boolean;
  changeId: string;
}

/** The only code that touches `followers`. */
export class FollowerProjection {
  private constructor(readonly followers: Collection<FollowerDocument>) {}

  static readonly shardKeys: ShardKeys = {
    followers: shardBy(
      { followeeId: 1, followerId: 1 },
      "the fan-out reads one followee's followers (the followee-keyed side of the follow graph); followerId lets " +
        "a 10,000-follower author's chunk split",
    ),
  };

  static async open(db: Db): Promise<FollowerProjection> {
    const followers = db.collection<FollowerDocument>('followers');
    // `_id` order within one followee is follower order: the fan-out reads it through this index.
    await followers.createIndex({ followeeId: 1, active: 1, _id: 1 }, { name: 'followee_active_by_id' });
    return new FollowerProjection(followers);
  }

  /** Applies the change unless the stored state comes from a newer event (then nothing happens). */
  async record(change: FollowChange): Promise<void> {
    const { followeeId, followerId, active, since, at, eventId } = change;
    // When the pair exists with a newer (or this very) version, the filter misses, the upsert's insert
    // collides, and the plain update that follows matches nothing.
    await upsertOne(
      this.followers,
      {
        _id: followId(followeeId, followerId),
        followeeId,
        followerId,
        $or: [{ changedAt: { $lt: at } }, { changedAt: at, changeId: { $lt: eventId } }],
      },
      { $set: { followeeId, followerId, active, since, changedAt: at, changeId: eventId } },
    );
  }

  async state(followerId: string, followeeId: string): Promise<FollowState | null> {
    const found = await this.followers.findOne({ _id: followId(followeeId, followerId), followeeId });
    return found && { active: found.active, changeId: found.changeId };
  }

  /**
   * The active followers of `followeeId` in ascending order: one query whose cursor the driver
   * pages through `batchSize` at a time (one index range on MongoDB; one indexed read on FerretDB,
   * where a keyset query per page would read the followee's whole list again each time).
   */
  async *activeFollowers(followeeId: string, batchSize: number): AsyncGenerator<string> {
    const cursor = this.followers
      .find({ followeeId, active: true }, { projection: { followerId: 1 } })
      .sort({ _id: 1 })
      .batchSize(batchSize);
    try {
      for await (const follow of cursor) yield follow.followerId;
    } finally {
      await cursor.close();
    }
  }

  /**
   * Which of `followerIds` still follow `followeeId`, for ids that activeFollowers listed (a pair's
   * document is never deleted, so each has one). One query for the exceptions: the pairs among them
   * now inactive, read within the followee's `active: false` range of the index — its unfollows, few
   * next to its followers. (Asking for the active pairs took ten `$in` reads per 1,000 followers.)
   */
  async activeAmong(followeeId: string, followerIds: readonly string[]): Promise<Set<string>> {
    if (followerIds.length === 0) return new Set();
    const ids = followerIds.map((followerId) => followId(followeeId, followerId));
    const unfollowed = await this.followers
      .find({ followeeId, active: false, _id: { $in: ids } }, { projection: { followerId: 1 } })
      .toArray();
    const gone = new Set(unfollowed.map((follow) => follow.followerId));
    return new Set(followerIds.filter((id) => !gone.has(id)));
  }
}

/**
 * An author's recent posts (the newest `cap`, plus up to `slack` before a trim): what a new
 * follower's timeline is backfilled from.
 */
interface AuthorPostDocument {
  /** The post id. */
  _id: string;
  authorId: string;
  createdAt: Date;
}

/** Upper bound of an author's `author_posts`, as `timeline_owners` is for timelines. */
interface AuthorDocument {
  _id: string;
  posts: number;
}

/**
 * A deleted post, kept so that a `post.created` arriving after its `post.deleted` (redelivery,
 * reordering) cannot bring it back. Removed after TOMBSTONE_RETENTION_MS.
 */
interface DeletedPostDocument {
  _id: string;
  authorId: string;
  deletedAt: Date;
}

export interface AuthorPost {
  postId: string;
  authorId: string;
  createdAt: Date;
}

/** Deleted-post tombstones outlive any redelivery by far. */
export const TOMBSTONE_RETENTION_MS = 30 * 24 * 60 * 60 * 1000;

/** The only code that touches `author_posts`, `authors` and `deleted_posts`. */
export class AuthorPostProjection {
  private constructor(
    readonly posts: Collection<AuthorPostDocument>,
    readonly authors: Collection<AuthorDocument>,
    readonly deleted: Collection<DeletedPostDocument>,
    readonly options: CapOptions,
  ) {}

  static readonly shardKeys: ShardKeys = {
    author_posts: shardBy(
      { authorId: 1 },
      "a backfill reads one author's newest posts; trims and adds name the author",
    ),
    authors: shardBy({ _id: 'hashed' }, 'counted and read by author id only'),
    deleted_posts: shardBy({ _id: 'hashed' }, 'checked and written by post id; the clean-up task scans by date'),
  };

  static async open(
    db: Db,
    options: CapOptions = { cap: TIMELINE_CAP, slack: TRIM_SLACK },
  ): Promise<AuthorPostProjection> {
    const posts = db.collection<AuthorPostDocument>('author_posts');
    await posts.createIndex({ authorId: 1, createdAt: -1, _id: -1 }, { name: 'author_newest_first' });
    const deleted = db.collection<DeletedPostDocument>('deleted_posts');
    await deleted.createIndex({ deletedAt: 1 }, { name: 'deletedAt_1' });
    return new AuthorPostProjection(posts, db.collection<AuthorDocument>('authors'), deleted, options);
  }

  /** Records the post (idempotent) and trims the author's list when it passes cap + slack. */
  async add({ postId, authorId, createdAt }: AuthorPost): Promise<void> {
    const { upsertedCount } = await this.posts.updateOne(
      { _id: postId, authorId },
      { $setOnInsert: { createdAt } },
      { upsert: true },
    );
    if (upsertedCount === 0) return;
    const { cap, slack } = this.options;
    await this.authors.updateOne({ _id: authorId }, { $inc: { posts: 1 } }, { upsert: true });
    const author = await this.authors.findOne({ _id: authorId, posts: { $gte: cap + slack } });
    if (!author) return;
    const cut = await this.posts.find({ authorId }).sort({ createdAt: -1, _id: -1 }).skip(cap).limit(1).next();
    if (!cut) {
      await this.authors.updateOne(
        { _id: authorId },
        { $set: { posts: await this.posts.countDocuments({ authorId }) } },
      );
      return;
    }
    const { deletedCount } = await this.posts.deleteMany({
      authorId,
      $or: [{ createdAt: { $lt: cut.createdAt } }, { createdAt: cut.createdAt, _id: { $lte: cut._id } }],
    });
    await this.authors.updateOne({ _id: authorId }, { $inc: { posts: -deletedCount } });
  }

  /** The author's newest posts, newest first. */
  async recent(authorId: string, limit: number): Promise<AuthorPost[]> {
    const found = await this.posts.find({ authorId }).sort({ createdAt: -1, _id: -1 }).limit(limit).toArray();
    return found.map(({ _id, createdAt }) => ({ postId: _id, authorId, createdAt }));
  }

  /** Marks the post deleted for good (idempotent) and drops it from its author's list. */
  async markDeleted(postId: string, authorId: string): Promise<void> {
    await this.deleted.updateOne(
      { _id: postId },
      { $setOnInsert: { authorId, deletedAt: new Date() } },
      { upsert: true },
    );
    await this.posts.deleteOne({ _id: postId, authorId });
  }

  async forget(postId: string, authorId: string): Promise<void> {
    await this.posts.deleteOne({ _id: postId, authorId });
  }

  async isDeleted(postId: string): Promise<boolean> {
    return (await this.deleted.countDocuments({ _id: postId }, { limit: 1 })) > 0;
  }

  /** Which of `postIds` have been deleted. */
  async deletedAmong(postIds: readonly string[]): Promise<Set<string>> {
    if (postIds.length === 0) return new Set();
    const deleted = new Set<string>();
    for (let start = 0; start < postIds.length; start += IN_BATCH) {
      const found = await this.deleted.find({ _id: { $in: postIds.slice(start, start + IN_BATCH) } }).toArray();
      for (const tombstone of found) deleted.add(tombstone._id);
    }
    return deleted;
  }

  async removeTombstonesBefore(cutoff: Date): Promise<number> {
    return (await this.deleted.deleteMany({ deletedAt: { $lt: cutoff } })).deletedCount;
  }
}
