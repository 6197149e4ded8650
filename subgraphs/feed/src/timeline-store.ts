import type { Collection, Db } from 'mongodb';
import { insertMissing, ObjectId, shardBy, type ShardKeys } from '@micropost/mongo';

/** Entries kept per home timeline (Twitter's figure; Mastodon's is of the same order). */
export const TIMELINE_CAP = 800;
/**
 * A timeline may reach cap + slack entries before it is trimmed back to the cap, so trimming (a find
 * and a delete) happens once per this many insertions instead of once per post. Reads never show
 * more than the cap (the homeFeed cursor counts entries).
 */
export const TRIM_SLACK = 50;
/** Entries per bulk write: one round trip per this many timeline inserts. */
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
 * One post in one user's home timeline. Where it lives in a sharded cluster: `TimelineStore.shardKeys`.
 *
 * `_id` is `<ownerId>/<time>/<postId>` with `<time>` the post's createdAt in ms, zero-padded: unique
 * by construction, on one shard (it embeds the shard key), and within one owner `_id` order is
 * timeline order. So a page is `{ ownerId }` sorted by `_id` with a limit — an index range on
 * MongoDB, and the top-N shape the patched FerretDB pushes down — and removals address entries by
 * `_id` alone.
 */
interface TimelineDocument extends TimelineEntry {
  _id: string;
}

/** Fixed width, so that string order is time order (epoch ms fit 15 digits until the year 33658). */
const timeKey = (at: Date) => String(Math.max(0, at.getTime())).padStart(15, '0');
export const entryId = (ownerId: string, createdAt: Date, postId: string) =>
  `${ownerId}/${timeKey(createdAt)}/${postId}`;

/**
 * Per-owner upper bound of the timeline's size: raised by insertions, lowered by trims only
 * (deletions of posts and unfollows leave it high, which at worst brings a trim forward).
 */
interface TimelineOwnerDocument {
  _id: string;
  entries: number;
}

/**
 * Entries written to many timelines at once (a fan-out chunk), not yet counted: `owners` holds
 * `{ id, n }`: the owner and how many entries it gained (at most WRITE_BATCH). A fan-out to 10,000 followers writes ten of
 * these instead of 10,000 counter updates; `trimPending` (a periodic task) adds them to the
 * counters, merged across posts, and trims the timelines they take past cap + slack.
 */
interface PendingGrowthDocument {
  _id: ObjectId;
  owners: { id: string; n: number }[];
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

/** An `add` touching at most this many timelines counts and trims them at once (a backfill, a small fan-out). */
export const INLINE_TRIM_OWNERS = 10;
/** Owners per `$in`: the longest list the patched FerretDB hands to PostgreSQL. */
const IN_BATCH = 100;
/** Growth records merged per round of `trimPending`. */
const PENDING_PER_ROUND = 20;

function chunks<T>(items: readonly T[], size: number): T[][] {
  const result: T[][] = [];
  for (let start = 0; start < items.length; start += size) result.push(items.slice(start, start + size));
  return result;
}

const toEntry = ({ ownerId, postId, authorId, createdAt }: TimelineEntry): TimelineEntry => ({
  ownerId,
  postId,
  authorId,
  createdAt,
});

/** The only code that touches `timelines`, `timeline_owners` and `timeline_growth`. */
export class TimelineStore {
  private constructor(
    readonly timelines: Collection<TimelineDocument>,
    readonly owners: Collection<TimelineOwnerDocument>,
    readonly growth: Collection<PendingGrowthDocument>,
    readonly options: CapOptions,
  ) {}

  static readonly shardKeys: ShardKeys = {
    timelines: shardBy(
      { ownerId: 1 },
      'a page, a trim, a fan-out insert, an unfollow removal each name one owner; a timeline is capped, so its ' +
        "chunk never grows past 850 entries; only post.deleted's sweep by postId broadcasts",
    ),
    timeline_owners: shardBy({ _id: 'hashed' }, 'counted and read by owner id only'),
    timeline_growth: shardBy({ _id: 'hashed' }, 'inserted and deleted by _id; read in any order by the trim task'),
  };

  static async open(db: Db, options: CapOptions = { cap: TIMELINE_CAP, slack: TRIM_SLACK }): Promise<TimelineStore> {
    const timelines = db.collection<TimelineDocument>('timelines');
    await timelines.createIndex({ ownerId: 1, postId: 1 }, { unique: true, name: 'owner_post_unique' });
    await timelines.createIndex({ ownerId: 1, _id: -1 }, { name: 'owner_newest_first' });
    await timelines.createIndex({ ownerId: 1, authorId: 1, _id: -1 }, { name: 'owner_author_newest_first' });
    await timelines.createIndex({ postId: 1, _id: 1 }, { name: 'post_entries' });
    return new TimelineStore(
      timelines,
      db.collection<TimelineOwnerDocument>('timeline_owners'),
      db.collection<PendingGrowthDocument>('timeline_growth'),
      options,
    );
  }

  /**
   * Puts the entries into their timelines (idempotent: an entry already there stays as it is), in
   * unordered bulk inserts of WRITE_BATCH. When at most INLINE_TRIM_OWNERS timelines grew, they
   * are counted and trimmed now, and the entries a trim took right away are returned (an old post
   * arriving into a full timeline); otherwise the growth is recorded for `trimPending`.
   */
  async add(entries: readonly TimelineEntry[]): Promise<TimelineEntry[]> {
    const perOwner = new Map<string, number>();
    for (const batch of chunks(entries, WRITE_BATCH)) {
      const inserted = await insertMissing(
        this.timelines,
        batch.map((entry) => ({ _id: entryId(entry.ownerId, entry.createdAt, entry.postId), ...toEntry(entry) })),
      );
      for (const { ownerId } of inserted) perOwner.set(ownerId, (perOwner.get(ownerId) ?? 0) + 1);
    }
    if (perOwner.size === 0) return [];
    if (perOwner.size > INLINE_TRIM_OWNERS) {
      for (const owners of chunks([...perOwner], WRITE_BATCH))
        await this.growth.insertOne({ _id: new ObjectId(), owners: owners.map(([id, n]) => ({ id, n })) });
      return [];
    }
    const cuts = await this.#countAndTrim(perOwner);
    return entries.filter((entry) => {
      const cut = cuts.get(entry.ownerId);
      return cut !== undefined && entryId(entry.ownerId, entry.createdAt, entry.postId) <= cut;
    });
  }

  /**
   * Counts recorded growth into the owners' counters and trims the timelines it took past
   * cap + slack, PENDING_PER_ROUND records per round, until none are left or `rounds` rounds ran
   * (so that a process stopping mid-backlog waits for one bounded run at most). Every process runs
   * this: a record is claimed by deleting it, and only the process whose delete removed it counts
   * it (they used to count the same records side by side, each of which costs an update per owner).
   * A crash between the claim and the count loses that growth: those counters stay low by at most
   * one post each, which delays their next trim by as much (pages never show past the cap).
   */
  async trimPending(rounds = 10): Promise<void> {
    for (let round = 0; round < rounds; round++) {
      const records = await this.growth.find({}).limit(PENDING_PER_ROUND).toArray();
      if (records.length === 0) return;
      const perOwner = new Map<string, number>();
      for (const record of records) {
        const { deletedCount } = await this.growth.deleteOne({ _id: record._id });
        if (deletedCount === 0) continue; // another process claimed it
        for (const { id, n } of record.owners) perOwner.set(id, (perOwner.get(id) ?? 0) + n);
      }
      await this.#countAndTrim(perOwner);
    }
  }

  /** Raises the counters, trims the owners whose counter reached cap + slack; returns the cuts made. */
  async #countAndTrim(inserted: ReadonlyMap<string, number>): Promise<Map<string, string>> {
    const { cap, slack } = this.options;
    const cuts = new Map<string, string>();
    for (const ownerIds of chunks([...inserted.keys()], IN_BATCH)) {
      // Counters are created once per owner: read which exist rather than insert all and let the
      // duplicates fail (FerretDB answers a failed batch by retrying each document on its own).
      const existing = await this.owners.find({ _id: { $in: ownerIds } }, { projection: { _id: 1 } }).toArray();
      const known = new Set(existing.map((owner) => owner._id));
      await insertMissing(
        this.owners,
        ownerIds.filter((_id) => !known.has(_id)).map((_id) => ({ _id, entries: 0 })),
      );
      // One multi-document update per distinct increment, not one per owner.
      const ownersBy = new Map<number, string[]>();
      for (const ownerId of ownerIds) {
        const count = inserted.get(ownerId)!;
        ownersBy.set(count, [...(ownersBy.get(count) ?? []), ownerId]);
      }
      for (const [count, owners] of ownersBy)
        await this.owners.updateMany({ _id: { $in: owners } }, { $inc: { entries: count } });
      const overfull = await this.owners.find({ _id: { $in: ownerIds }, entries: { $gte: cap + slack } }).toArray();
      for (const owner of overfull) {
        const cut = await this.trim(owner._id);
        if (cut) cuts.set(owner._id, cut);
      }
    }
    return cuts;
  }

  /**
   * Deletes all but the newest `cap` entries of one timeline: one indexed read for the cut, one
   * delete of an `_id` range. Returns the `_id` of the newest entry deleted, or null.
   */
  async trim(ownerId: string): Promise<string | null> {
    const cut = await this.timelines
      .find({ ownerId }, { projection: { _id: 1 } })
      .sort({ _id: -1 })
      .skip(this.options.cap)
      .limit(1)
      .next();
    if (!cut) {
      // Deletions had left the counter high: re-base it on the real size.
      const size = await this.timelines.countDocuments({ ownerId });
      await this.owners.updateOne({ _id: ownerId }, { $set: { entries: size } });
      return null;
    }
    const { deletedCount } = await this.timelines.deleteMany({ ownerId, _id: { $lte: cut._id } });
    await this.owners.updateOne({ _id: ownerId }, { $inc: { entries: -deletedCount } });
    return cut._id;
  }

  /** Up to `limit` entries of the post (to remove it everywhere in chunks). */
  async holders(postId: string, limit: number): Promise<TimelineEntry[]> {
    const found = await this.timelines.find({ postId }).sort({ _id: 1 }).limit(limit).toArray();
    return found.map(toEntry);
  }

  /** Removes these entries (by `_id`, in one bulk write per WRITE_BATCH). */
  async remove(entries: readonly Pick<TimelineEntry, 'ownerId' | 'postId' | 'createdAt'>[]): Promise<void> {
    for (const batch of chunks(entries, WRITE_BATCH)) {
      await this.timelines.bulkWrite(
        batch.map((entry) => ({
          deleteOne: { filter: { _id: entryId(entry.ownerId, entry.createdAt, entry.postId), ownerId: entry.ownerId } },
        })),
        { ordered: false },
      );
    }
  }

  async removeEverywhere(postId: string): Promise<void> {
    await this.timelines.deleteMany({ postId });
  }

  /** Up to `limit` of the author's entries in the owner's timeline, newest first. */
  async postsOfAuthor(ownerId: string, authorId: string, limit: number): Promise<TimelineEntry[]> {
    const found = await this.timelines.find({ ownerId, authorId }).sort({ _id: -1 }).limit(limit).toArray();
    return found.map(toEntry);
  }

  async removeAuthor(ownerId: string, authorId: string): Promise<void> {
    await this.timelines.deleteMany({ ownerId, authorId });
  }

  /** A slice of one timeline, newest first, strictly older than `after`: one indexed range. */
  async read(ownerId: string, { after, limit }: TimelineSlice): Promise<TimelineEntry[]> {
    if (limit <= 0) return [];
    const older = after === null ? {} : { _id: { $lt: entryId(ownerId, after.at, after.id) } };
    const found = await this.timelines
      .find({ ownerId, ...older })
      .sort({ _id: -1 })
      .limit(limit)
      .toArray();
    return found.map(toEntry);
  }

  /** Every entry of one timeline, newest first (tests compare whole timelines with it). */
  async all(ownerId: string): Promise<TimelineEntry[]> {
    return (await this.timelines.find({ ownerId }).sort({ _id: -1 }).toArray()).map(toEntry);
  }

  count(ownerId: string): Promise<number> {
    return this.timelines.countDocuments({ ownerId });
  }
}
