import type { Collection, Db } from 'mongodb';
import { insertMissing } from '@micropost/mongo';

/** Entries kept per home timeline (Twitter's figure; Mastodon's is of the same order). */
export const TIMELINE_CAP = 800;
/**
 * A timeline may reach cap + slack entries before it is trimmed back to the cap, so trimming (a find
 * and a delete) happens once per this many insertions instead of once per post. Reads never show
 * more than the cap (the homeFeed cursor counts entries).
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
 *
 * `_id` is `<ownerId>/<postId>`: unique by construction (and on one shard, since it embeds the
 * shard key), and it lets the hot write path (fan-out inserts, removals) address entries by `_id`
 * alone.
 */
interface TimelineDocument extends TimelineEntry {
  _id: string;
}

export const entryId = (ownerId: string, postId: string) => `${ownerId}/${postId}`;

/** Where a trim cut a timeline: entries at or after this position (in newest-first order) went. */
interface Cut {
  createdAt: Date;
  postId: string;
}

const isAtOrPast = (entry: { createdAt: Date; postId: string }, cut: Cut) =>
  entry.createdAt < cut.createdAt ||
  (entry.createdAt.getTime() === cut.createdAt.getTime() && entry.postId <= cut.postId);

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
   * unordered bulk inserts of WRITE_BATCH, then trims every timeline that grew past cap + slack.
   * Returns the entries a trim took right away (an old post arriving into a full timeline).
   */
  async add(entries: readonly TimelineEntry[]): Promise<TimelineEntry[]> {
    const trimmedAway: TimelineEntry[] = [];
    for (let start = 0; start < entries.length; start += WRITE_BATCH) {
      const batch = entries.slice(start, start + WRITE_BATCH);
      const inserted = await insertMissing(
        this.timelines,
        batch.map(({ ownerId, postId, authorId, createdAt }) => ({
          _id: entryId(ownerId, postId),
          ownerId,
          postId,
          authorId,
          createdAt,
        })),
      );
      if (inserted.length === 0) continue;
      const perOwner = new Map<string, number>();
      for (const { ownerId } of inserted) perOwner.set(ownerId, (perOwner.get(ownerId) ?? 0) + 1);
      const cuts = await this.#countAndTrim(perOwner);
      trimmedAway.push(
        ...batch.filter((entry) => cuts.has(entry.ownerId) && isAtOrPast(entry, cuts.get(entry.ownerId)!)),
      );
    }
    return trimmedAway;
  }

  async #countAndTrim(inserted: ReadonlyMap<string, number>): Promise<Map<string, Cut>> {
    // One multi-document update per distinct increment (a fan-out adds one entry to each of up to
    // 1,000 owners): one round trip, not one per owner, which FerretDB answers with a scan each.
    await insertMissing(
      this.owners,
      [...inserted.keys()].map((_id) => ({ _id, entries: 0 })),
    );
    const ownersBy = new Map<number, string[]>();
    for (const [ownerId, count] of inserted) {
      const owners = ownersBy.get(count);
      if (owners) owners.push(ownerId);
      else ownersBy.set(count, [ownerId]);
    }
    for (const [count, ownerIds] of ownersBy)
      await this.owners.updateMany({ _id: { $in: ownerIds } }, { $inc: { entries: count } });
    const { cap, slack } = this.options;
    const overfull = await this.owners
      .find({ _id: { $in: [...inserted.keys()] }, entries: { $gte: cap + slack } })
      .toArray();
    const cuts = new Map<string, Cut>();
    for (const owner of overfull) {
      const cut = await this.trim(owner._id);
      if (cut) cuts.set(owner._id, cut);
    }
    return cuts;
  }

  /** Deletes all but the newest `cap` entries of one timeline: one indexed find for the cut, one delete. */
  async trim(ownerId: string): Promise<Cut | null> {
    const cut = await this.timelines
      .find({ ownerId })
      .sort({ createdAt: -1, postId: -1 })
      .skip(this.options.cap)
      .limit(1)
      .next();
    if (!cut) {
      // Deletions had left the counter high: re-base it on the real size.
      const size = await this.timelines.countDocuments({ ownerId });
      await this.owners.updateOne({ _id: ownerId }, { $set: { entries: size } });
      return null;
    }
    const { deletedCount } = await this.timelines.deleteMany({
      ownerId,
      $or: [{ createdAt: { $lt: cut.createdAt } }, { createdAt: cut.createdAt, postId: { $lte: cut.postId } }],
    });
    await this.owners.updateOne({ _id: ownerId }, { $inc: { entries: -deletedCount } });
    return { createdAt: cut.createdAt, postId: cut.postId };
  }

  /** Up to `limit` owners whose timeline holds the post, in ownerId order (to remove it in chunks). */
  async holders(postId: string, limit: number): Promise<string[]> {
    const found = await this.timelines.find({ postId }).sort({ ownerId: 1 }).limit(limit).toArray();
    return found.map((entry) => entry.ownerId);
  }

  /** Removes the post from these owners' timelines: deletes by `_id`, in one bulk write. */
  async removeFromOwners(postId: string, ownerIds: readonly string[]): Promise<void> {
    await this.#deleteIds(ownerIds.map((ownerId) => entryId(ownerId, postId)));
  }

  async #deleteIds(ids: readonly string[]): Promise<void> {
    for (let start = 0; start < ids.length; start += WRITE_BATCH) {
      const batch = ids.slice(start, start + WRITE_BATCH);
      await this.timelines.bulkWrite(
        batch.map((_id) => ({ deleteOne: { filter: { _id } } })),
        { ordered: false },
      );
    }
  }

  async removeEverywhere(postId: string): Promise<void> {
    await this.timelines.deleteMany({ postId });
  }

  /** Up to `limit` ids of the author's posts in the owner's timeline. */
  async postsOfAuthor(ownerId: string, authorId: string, limit: number): Promise<string[]> {
    const found = await this.timelines
      .find({ ownerId, authorId })
      .sort({ createdAt: -1, postId: -1 })
      .limit(limit)
      .toArray();
    return found.map((entry) => entry.postId);
  }

  async removePosts(ownerId: string, postIds: readonly string[]): Promise<void> {
    await this.#deleteIds(postIds.map((postId) => entryId(ownerId, postId)));
  }

  async removeAuthor(ownerId: string, authorId: string): Promise<void> {
    await this.timelines.deleteMany({ ownerId, authorId });
  }

  /** A slice of one timeline, newest first, strictly older than `after`: one indexed range scan. */
  async read(ownerId: string, { after, limit }: TimelineSlice): Promise<TimelineEntry[]> {
    if (limit <= 0) return [];
    const older =
      after === null
        ? {}
        : { $or: [{ createdAt: { $lt: after.at } }, { createdAt: after.at, postId: { $lt: after.id } }] };
    const found = await this.timelines
      .find({ ownerId, ...older })
      .sort({ createdAt: -1, postId: -1 })
      .limit(limit)
      .toArray();
    return found.map(({ ownerId: owner, postId, authorId, createdAt }) => ({
      ownerId: owner,
      postId,
      authorId,
      createdAt,
    }));
  }

  /** Every entry of one timeline, newest first (tests compare whole timelines with it). */
  async all(ownerId: string): Promise<TimelineEntry[]> {
    const found = await this.timelines.find({ ownerId }).sort({ createdAt: -1, postId: -1 }).toArray();
    return found.map(({ ownerId: owner, postId, authorId, createdAt }) => ({
      ownerId: owner,
      postId,
      authorId,
      createdAt,
    }));
  }

  count(ownerId: string): Promise<number> {
    return this.timelines.countDocuments({ ownerId });
  }
}
