import { ObjectId, type MongoClient } from 'mongodb';
import { gql } from '../load.ts';
import { pool } from '../progress.ts';
import type { AckedLike, AckedPost, User } from './traffic.ts';

/** What is still missing of a set of acknowledged writes, per place it must reach. */
export interface Missing {
  /** Posts `post(id:)` does not return. */
  unreadable: string[];
  /** Posts absent from at least one follower's home timeline. */
  feed: string[];
  /** Which timelines lack them: `<follower>/<post>` (a diagnosis; `feed` counts). */
  feedEntries?: string[];
  /** Posts the search index does not hold. */
  search: string[];
  /** Acknowledged likes not stored. */
  likes: string[];
  /** Posts whose likeCount differs from their stored likes. */
  counters: string[];
}

export const missingCount = (missing: Missing): number =>
  missing.unreadable.length +
  missing.feed.length +
  missing.search.length +
  missing.likes.length +
  missing.counters.length;

/** Point reads in flight at once: the checks must not starve the projections they watch. */
const READS_IN_FLIGHT = 4;

/**
 * Checks acknowledged writes against every place they must reach: readable through the API, in every
 * follower's timeline (feed), in the search index, likes stored and counted. What has been seen once
 * is remembered (a timeline may later trim it), so each round reads only what is still missing, by
 * `_id` point reads: whole-collection scans every second on FerretDB slowed the very consumers
 * whose convergence they measured.
 */
export class Verifier {
  readonly #readable = new Set<string>();
  readonly #timeline = new Set<string>();
  readonly #indexed = new Set<string>();

  constructor(
    readonly context: { url: string; mongo: MongoClient; dbPrefix: string; users: readonly User[]; token: string },
  ) {}

  async findMissing(posts: readonly AckedPost[], likes: readonly AckedLike[]): Promise<Missing> {
    const { mongo, dbPrefix } = this.context;
    const missing: Missing = { unreadable: [], feed: [], search: [], likes: [], counters: [] };
    if (posts.length === 0 && likes.length === 0) return missing;

    // Like counts of every post concerned (they change), readability of the posts not yet seen.
    const likeCounts = new Map<string, number>();
    const counted = [...new Set(likes.map((like) => like.postId))];
    const toRead = [...new Set([...posts.map((post) => post.id).filter((id) => !this.#readable.has(id)), ...counted])];
    for (let start = 0; start < toRead.length; start += 25) {
      const chunk = toRead.slice(start, start + 25);
      const query = `{ ${chunk.map((id, i) => `p${i}: post(id: ${JSON.stringify(id)}) { id likeCount }`).join(' ')} }`;
      const data = await gql<Record<string, { id: string; likeCount: number } | null>>(
        this.context.url,
        query,
        {},
        this.context.token,
      );
      chunk.forEach((id, i) => {
        const post = data[`p${i}`];
        if (!post) return;
        this.#readable.add(id);
        likeCounts.set(id, post.likeCount);
      });
    }
    for (const post of posts) if (!this.#readable.has(post.id)) missing.unreadable.push(post.id);

    // One entry per (owner, post): the feed's unique index owner_post_unique.
    const timelines = mongo.db(`${dbPrefix}feed`).collection<{ ownerId: string; postId: string }>('timelines');
    const pairs = posts.flatMap((post) =>
      this.context.users
        .filter((user) => user.id !== post.authorId)
        .map((follower) => `${follower.id}/${post.id}`)
        .filter((key) => !this.#timeline.has(key)),
    );
    await pool(pairs, READS_IN_FLIGHT, async (key) => {
      const [ownerId, postId] = key.split('/');
      if (await timelines.findOne({ ownerId, postId }, { projection: { _id: 1 } })) this.#timeline.add(key);
    });
    const feedMissing = new Set(pairs.filter((key) => !this.#timeline.has(key)).map((key) => key.split('/')[1]!));
    missing.feed.push(...feedMissing);
    missing.feedEntries = pairs.filter((key) => !this.#timeline.has(key));

    const index = mongo.db(`${dbPrefix}search`).collection<{ _id: string; terms?: string[] }>('posts');
    await pool(
      posts.filter((post) => !this.#indexed.has(post.id)),
      READS_IN_FLIGHT,
      async (post) => {
        const entry = await index.findOne({ _id: post.id }, { projection: { _id: 1, terms: 1 } });
        if (entry?.terms?.length) this.#indexed.add(post.id);
      },
    );
    for (const post of posts) if (!this.#indexed.has(post.id)) missing.search.push(post.id);

    if (counted.length === 0) return missing;
    const stored = new Map<string, Set<string>>();
    for (const like of await mongo
      .db(`${dbPrefix}posts`)
      .collection<{ postId: ObjectId; userId: string }>('likes')
      .find({ postId: { $in: counted.map((id) => new ObjectId(id)) } }, { projection: { postId: 1, userId: 1 } })
      .toArray()) {
      const key = like.postId.toHexString();
      stored.set(key, (stored.get(key) ?? new Set()).add(like.userId));
    }
    for (const like of likes)
      if (!stored.get(like.postId)?.has(like.userId)) missing.likes.push(`${like.userId}→${like.postId}`);
    for (const id of counted) {
      const count = likeCounts.get(id);
      if (count === undefined || count !== (stored.get(id)?.size ?? 0)) missing.counters.push(id);
    }
    return missing;
  }
}
