import type { AnyBulkWriteOperation, Collection, Db, ObjectId } from 'mongodb';

/** Entries kept per home timeline (Twitter's figure; Mastodon's is of the same order). */
export const TIMELINE_CAP = 800;
/**
 * A timeline may grow this far past the cap before it is trimmed back to it, so trimming (a find
 * and a delete) happens once per this many insertions instead of once per post. Reads never show
 * more than the cap (see `readTimeline`).
 */
export const TRIM_SLACK = 50;
/** Entries per bulk write: one round trip per this many timeline upserts. */
export const WRITE_BATCH = 1000;

/** What a timeline holds: post ids only (with what ordering needs); posts resolves the rest. */
export interface TimelineEntry {
  ownerId: string;
  postId: string;
  authorId: string;
  /** The post's creation time: timelines are ordered by it, newest first, then by postId. */
  createdAt: Date;
}

/**
 * One post in one user's home timeline. Shard key in a sharded cluster: `{ ownerId: 1 }` — every
 * read (a page of one timeline) and most writes (fan-out upserts, trims, unfollow removals) name
 * one owner; only `post.deleted` (`{ postId }`) is a broadcast, and deletions are rare.
 */
interface TimelineDocument extends TimelineEntry {
  _id?: ObjectId;
}

/**
 * Per-owner upper bound of the timeline's size: raised by every insertion, lowered by trims only
 * (deletions of posts and unfollows leave it high, which at worst brings a trim forward). Shard
 * key: `{ _id: "hashed" }` (the owner id).
 */
interface TimelineOwnerDocument {
  _id: string;
  entries: number;
}

export interface CapOptions {
  cap: number;
  slack: number;
}

/** Items of one page in timeline order, with at most `limit` of them. */
export interface TimelineSlice {
  after: { at: Date; id: string } | null;
  limit: number;
}

/** The only code that touches `timelines` and `timeline_owners`. */
export class TimelineStore {
  private constructor(
    readonly timelines: Collection<TimelineDocument>,
    readonly owners: Collection<TimelineOwnerDocument>,
    readonly options: CapOptions,
  ) {}

  static async open(db: Db, options: CapOptions = { cap: TIMELINE_CAP, slack: TRIM_SLACK }): Promise<TimelineStore> {
    const timelines = db.collection<TimelineDocument>('timelines');
    await timelines.createIndex({ ownerId: 1, postId: 1 }, { unique: true, name: 'owner_post_unique' });
    await timelines.createIndex({ ownerId: 1, createdAt: -1, postId: -1 }, { name: 'owner_newest_first' });
    await timelines.createIndex({ ownerId: 1, authorId: 1 }, { name: 'owner_author' });
    await timelines.createIndex({ postId: 1, ownerId: 1 }, { name: 'post_owner' });
    return new TimelineStore(timelines, db.collection<TimelineOwnerDocument>('timeline_owners'), options);
  }

  /**
   * Puts the entries into their timelines (idempotent: an entry already there stays as it is), in
   * unordered bulk upserts of WRITE_BATCH, then trims every timeline that grew past cap + slack.
   */
  async add(entries: readonly TimelineEntry[]): Promise<void> {
    for (let start = 0; start < entries.length; start += WRITE_BATCH) {
      const batch = entries.slice(start, start + WRITE_BATCH);
      const result = await this.timelines.bulkWrite(
        batch.map(({ ownerId, postId, authorId, createdAt }) => ({
          updateOne: { filter: { ownerId, postId }, update: { $setOnInsert: { authorId, createdAt } }, upsert: true },
        })),
        { ordered: false },
      );
      const inserted = new Map<string, number>();
      for (const index of Object.keys(result.upsertedIds)) {
        const ownerId = batch[Number(index)]!.ownerId;
        inserted.set(ownerId, (inserted.get(ownerId) ?? 0) + 1);
      }
      if (inserted.size > 0) await this.#countAndTrim(inserted);
    }
  }

  async #countAndTrim(inserted: ReadonlyMap<string, number>): Promise<void> {
    const increments: AnyBulkWriteOperation<TimelineOwnerDocument>[] = [...inserted].map(([ownerId, count]) => ({
      updateOne: { filter: { _id: ownerId }, update: { $inc: { entries: count } }, upsert: true },
    }));
    await this.owners.bulkWrite(increments, { ordered: false });
    const { cap, slack } = this.options;
    const overfull = await this.owners.find({ _id: { $in: [...inserted.keys()] }, entries: { $gt: cap + slack } }).toArray();
    for (const owner of overfull) await this.trim(owner._id);
  }

  /** Deletes all but the newest `cap` entries of one timeline: one indexed find for the cut, one delete. */
  async trim(ownerId: string): Promise<void> {
    const cut = await this.timelines.find({ ownerId }).sort({ createdAt: -1, postId: -1 }).skip(this.options.cap).limit(1).next();
    if (!cut) {
      // Deletions had left the counter high: re-base it on the real size.
      const size = await this.timelines.countDocuments({ ownerId });
      await this.owners.updateOne({ _id: ownerId }, { $set: { entries: size } });
      return;
    }
    const { deletedCount } = await this.timelines.deleteMany({
      ownerId,
      $or: [{ createdAt: { $lt: cut.createdAt } }, { createdAt: cut.createdAt, postId: { $lte: cut.postId } }],
    });
    await this.owners.updateOne({ _id: ownerId }, { $inc: { entries: -deletedCount } });
  }

  /** Up to `limit` owners whose timeline holds the post, in ownerId order (to remove it in chunks). */
  async holders(postId: string, limit: number): Promise<string[]> {
    const found = await this.timelines.find({ postId }).sort({ ownerId: 1 }).limit(limit).toArray();
    return found.map((entry) => entry.ownerId);
  }

  /** Which of `ownerIds` hold the post, in the order given. */
  async holdersAmong(postId: string, ownerIds: readonly string[]): Promise<string[]> {
    const found = await this.timelines.find({ postId, ownerId: { $in: [...ownerIds] } }).toArray();
    const holding = new Set(found.map((entry) => entry.ownerId));
    return ownerIds.filter((id) => holding.has(id));
  }

  async removeFromOwners(postId: string, ownerIds: readonly string[]): Promise<void> {
    if (ownerIds.length > 0) await this.timelines.deleteMany({ postId, ownerId: { $in: [...ownerIds] } });
  }

  async removeEverywhere(postId: string): Promise<void> {
    await this.timelines.deleteMany({ postId });
  }

  /** Up to `limit` ids of the author's posts in the owner's timeline. */
  async postsOfAuthor(ownerId: string, authorId: string, limit: number): Promise<string[]> {
    const found = await this.timelines.find({ ownerId, authorId }).sort({ createdAt: -1, postId: -1 }).limit(limit).toArray();
    return found.map((entry) => entry.postId);
  }

  /** Which of `postIds` are in the owner's timeline. */
  async present(ownerId: string, postIds: readonly string[]): Promise<Set<string>> {
    if (postIds.length === 0) return new Set();
    const found = await this.timelines.find({ ownerId, postId: { $in: [...postIds] } }).toArray();
    return new Set(found.map((entry) => entry.postId));
  }

  async removePosts(ownerId: string, postIds: readonly string[]): Promise<void> {
    if (postIds.length > 0) await this.timelines.deleteMany({ ownerId, postId: { $in: [...postIds] } });
  }

  async removeAuthor(ownerId: string, authorId: string): Promise<void> {
    await this.timelines.deleteMany({ ownerId, authorId });
  }

  /** A slice of one timeline, newest first, strictly older than `after`: one indexed range scan. */
  async read(ownerId: string, { after, limit }: TimelineSlice): Promise<TimelineEntry[]> {
    if (limit <= 0) return [];
    const older = after === null ? {} : { $or: [{ createdAt: { $lt: after.at } }, { createdAt: after.at, postId: { $lt: after.id } }] };
    const found = await this.timelines
      .find({ ownerId, ...older })
      .sort({ createdAt: -1, postId: -1 })
      .limit(limit)
      .toArray();
    return found.map(({ ownerId: owner, postId, authorId, createdAt }) => ({ ownerId: owner, postId, authorId, createdAt }));
  }

  /** Every entry of one timeline, newest first (tests compare whole timelines with it). */
  async all(ownerId: string): Promise<TimelineEntry[]> {
    const found = await this.timelines.find({ ownerId }).sort({ createdAt: -1, postId: -1 }).toArray();
    return found.map(({ ownerId: owner, postId, authorId, createdAt }) => ({ ownerId: owner, postId, authorId, createdAt }));
  }

  count(ownerId: string): Promise<number> {
    return this.timelines.countDocuments({ ownerId });
  }
}
