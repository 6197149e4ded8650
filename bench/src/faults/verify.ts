import { ObjectId, type MongoClient } from 'mongodb';
import { gql } from '../load.ts';
import type { AckedLike, AckedPost, User } from './traffic.ts';

/** What is still missing of a set of acknowledged writes, per place it must reach. */
export interface Missing {
  /** Posts `post(id:)` does not return. */
  unreadable: string[];
  /** Posts absent from at least one follower's home timeline. */
  feed: string[];
  /** Posts the search index does not hold. */
  search: string[];
  /** Acknowledged likes not stored. */
  likes: string[];
  /** Posts whose likeCount differs from their stored likes. */
  counters: string[];
}

export const missingCount = (missing: Missing) =>
  missing.unreadable.length +
  missing.feed.length +
  missing.search.length +
  missing.likes.length +
  missing.counters.length;

/**
 * Checks acknowledged writes against every place they must reach: readable through the API, in every
 * follower's timeline (feed), in the search index, likes stored and counted. Reads the projections'
 * collections directly (one scan each), the posts through the balancer.
 */
export async function findMissing(
  context: { url: string; mongo: MongoClient; dbPrefix: string; users: readonly User[]; token: string },
  posts: readonly AckedPost[],
  likes: readonly AckedLike[],
): Promise<Missing> {
  const { mongo, dbPrefix } = context;
  const missing: Missing = { unreadable: [], feed: [], search: [], likes: [], counters: [] };
  if (posts.length === 0 && likes.length === 0) return missing;

  const likeCounts = new Map<string, number>();
  const postIds = [...new Set([...posts.map((post) => post.id), ...likes.map((like) => like.postId)])];
  for (let start = 0; start < postIds.length; start += 25) {
    const chunk = postIds.slice(start, start + 25);
    const query = `{ ${chunk.map((id, i) => `p${i}: post(id: ${JSON.stringify(id)}) { id likeCount }`).join(' ')} }`;
    const data = await gql<Record<string, { id: string; likeCount: number } | null>>(
      context.url,
      query,
      {},
      context.token,
    );
    chunk.forEach((id, i) => {
      const post = data[`p${i}`];
      if (post) likeCounts.set(id, post.likeCount);
    });
  }
  for (const post of posts) if (!likeCounts.has(post.id)) missing.unreadable.push(post.id);

  const timelines = new Set(
    (
      await mongo
        .db(`${dbPrefix}feed`)
        .collection<{ _id: string }>('timelines')
        .find({}, { projection: { _id: 1 } })
        .toArray()
    ).map((entry) => entry._id),
  );
  for (const post of posts) {
    const followers = context.users.filter((user) => user.id !== post.authorId);
    if (followers.some((follower) => !timelines.has(`${follower.id}/${post.id}`))) missing.feed.push(post.id);
  }

  const indexed = new Set(
    (
      await mongo
        .db(`${dbPrefix}search`)
        .collection<{ _id: string; terms?: string[] }>('posts')
        .find({}, { projection: { _id: 1, terms: 1 } })
        .toArray()
    )
      .filter((entry) => entry.terms?.length)
      .map((entry) => entry._id),
  );
  for (const post of posts) if (!indexed.has(post.id)) missing.search.push(post.id);

  const stored = new Map<string, Set<string>>();
  for (const like of await mongo
    .db(`${dbPrefix}posts`)
    .collection<{ postId: ObjectId; userId: string }>('likes')
    .find({ postId: { $in: postIds.map((id) => new ObjectId(id)) } }, { projection: { postId: 1, userId: 1 } })
    .toArray()) {
    const key = like.postId.toHexString();
    stored.set(key, (stored.get(key) ?? new Set()).add(like.userId));
  }
  for (const like of likes)
    if (!stored.get(like.postId)?.has(like.userId)) missing.likes.push(`${like.userId}→${like.postId}`);
  for (const [id, count] of likeCounts) if (count !== (stored.get(id)?.size ?? 0)) missing.counters.push(id);
  return missing;
}
