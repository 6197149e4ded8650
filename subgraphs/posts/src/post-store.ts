import type { Collection, Db } from 'mongodb';
import {
  createEvent,
  ensureOutboxIndex,
  outboxFields,
  withOutbox,
  type EventEnvelope,
  type OutboxFields,
} from '@micropost/events';
import { findByIds, parseObjectId, ObjectId, shardBy, upsertOne, type ShardKeys } from '@micropost/mongo';
import { findPagesByParent, olderThan, type Page } from '@micropost/server';

/**
 * A post. Where it lives in a sharded cluster: `PostStore.shardKeys`.
 *
 * A deleted post is a tombstone (`tombstone: true`) until the outbox relay has published its
 * `post.deleted` event and removes it; every read leaves tombstones out.
 */
export interface PostDocument extends Partial<OutboxFields> {
  _id: ObjectId;
  /** The author's user id (hex), as the users subgraph issues it. */
  authorId: string;
  /** Trimmed, 1–280 characters. */
  body: string;
  createdAt: Date;
  /** Maintained on write by LikeStore (each change conditional on the count read); never counted per read. */
  likeCount: number;
}

/**
 * A per-author counter, so `User.postCount` is one indexed read per batch of authors instead of a
 * count scan.
 */
export interface AuthorDocument {
  /** The author's user id (hex). */
  _id: string;
  postCount: number;
}

/** The filter every read of posts includes: deleted posts are gone. */
const LIVE = { tombstone: { $ne: true } } as const;

/** Conditional like-count writes retry this long under contention before leaving the count to the reconciler. */
const LIKE_COUNT_DEADLINE_MS = 10_000;

export type LikeCountChange =
  /** Written: `post` is the document after the change, and its event is in the outbox. */
  | { readonly outcome: 'changed'; readonly post: PostDocument }
  /** The post is deleted (or never existed). */
  | { readonly outcome: 'gone' }
  /** Not written (contention beyond the deadline, or a decrement below zero); `post` as last read. */
  | { readonly outcome: 'unchanged'; readonly post: PostDocument };

/** The only code that touches the `posts` and `authors` collections. */
export class PostStore {
  private constructor(
    readonly posts: Collection<PostDocument>,
    readonly authors: Collection<AuthorDocument>,
    private readonly afterWrite: () => void,
  ) {}

  static readonly shardKeys: ShardKeys = {
    posts: shardBy(
      { _id: 'hashed' },
      'home feeds, search and post(id) resolve posts by _id batches (the hot path); User.posts by author is the one broadcast',
    ),
    authors: shardBy({ _id: 'hashed' }, 'read and counted by author id only'),
  };

  static async open(db: Db, afterWrite: () => void): Promise<PostStore> {
    const posts = db.collection<PostDocument>('posts');
    // Serves `User.posts`: equality on author, then the keyset order (createdAt desc, _id desc).
    await posts.createIndex({ authorId: 1, createdAt: -1, _id: -1 }, { name: 'author_newest_first' });
    await ensureOutboxIndex(posts);
    // `authors` is looked up by `_id` only: the built-in `_id` index is all it needs.
    return new PostStore(posts, db.collection<AuthorDocument>('authors'), afterWrite);
  }

  /** Inserts the post with its `post.created` event in one write, then counts it for its author. */
  async create(authorId: string, body: string, requestId: string): Promise<PostDocument> {
    const _id = new ObjectId();
    const createdAt = new Date();
    const event = createEvent(
      'post.created',
      { postId: _id.toHexString(), authorId, body, createdAt: createdAt.toISOString() },
      { requestId },
    );
    const post: PostDocument = { _id, authorId, body, createdAt, likeCount: 0, ...outboxFields([event]) };
    await this.posts.insertOne(post);
    this.afterWrite();
    await this.changePostCount(authorId, 1);
    return post;
  }

  /**
   * Tombstones the post and queues `post.deleted` in one write (the relay removes the document
   * once the event is out), then uncounts it. False when it was already deleted.
   */
  async tombstone(post: PostDocument, requestId: string): Promise<boolean> {
    const event = createEvent(
      'post.deleted',
      { postId: post._id.toHexString(), authorId: post.authorId, createdAt: post.createdAt.toISOString() },
      { requestId },
    );
    const result = await this.posts.updateOne(
      { _id: post._id, authorId: post.authorId, ...LIVE },
      withOutbox<PostDocument>({ $set: { tombstone: true } }, [event]),
    );
    if (result.modifiedCount !== 1) return false;
    this.afterWrite();
    await this.changePostCount(post.authorId, -1);
    return true;
  }

  /** One query for a whole batch; results line up with `ids` (null where there is no live post). */
  async findByIds(ids: readonly string[]): Promise<(PostDocument | null)[]> {
    const objectIds = ids.map(parseObjectId).filter((id): id is ObjectId => id !== null);
    const found = await findByIds(this.posts, objectIds, LIVE);
    const byId = new Map(found.map((post) => [post._id.toHexString(), post]));
    return ids.map((id) => byId.get(id.toLowerCase()) ?? null);
  }

  findLive(_id: ObjectId): Promise<PostDocument | null> {
    return this.posts.findOne({ _id, ...LIVE });
  }

  /** One query for a batch of authors; an author who never posted has 0. */
  async postCounts(authorIds: readonly string[]): Promise<number[]> {
    const found = await findByIds(this.authors, authorIds);
    const byId = new Map(found.map((author) => [author._id, author.postCount]));
    return authorIds.map((id) => Math.max(0, byId.get(id) ?? 0));
  }

  /**
   * For each author, up to `page.first + 1` live posts, newest first, strictly after the cursor
   * (keyset, never skip): one query for the whole batch. Results line up with `authorIds`.
   */
  pagesByAuthors(authorIds: readonly string[], page: Page): Promise<PostDocument[][]> {
    return findPagesByParent(this.posts, {
      parentField: 'authorId',
      parents: authorIds,
      keyOf: (authorId) => authorId,
      filter: { ...LIVE, ...olderThan(page.after, { at: 'createdAt', id: '_id' }, parseObjectId) },
      sort: { createdAt: -1, _id: -1 },
      perParent: page.first + 1,
    });
  }

  /**
   * Adds `delta` to the post's like count and queues the event `eventFor(countAfter)` in the same
   * single-document write. The write is conditional on the count read (`{ likeCount: n }` →
   * `n + delta`), so the event always carries the count it produced; on a conflict it re-reads and
   * retries (with a little jitter) until the deadline.
   */
  async changeLikeCount(
    post: PostDocument,
    delta: 1 | -1,
    eventFor: (likeCount: number) => EventEnvelope,
  ): Promise<LikeCountChange> {
    const deadline = Date.now() + LIKE_COUNT_DEADLINE_MS;
    let current = post;
    for (let attempt = 0; ; attempt++) {
      const next = current.likeCount + delta;
      if (next < 0) return { outcome: 'unchanged', post: current };
      const updated = await this.posts.findOneAndUpdate(
        { _id: current._id, authorId: current.authorId, likeCount: current.likeCount, ...LIVE },
        withOutbox<PostDocument>({ $set: { likeCount: next } }, [eventFor(next)]),
        { returnDocument: 'after' },
      );
      if (updated) {
        this.afterWrite();
        return { outcome: 'changed', post: updated };
      }
      const fresh = await this.posts.findOne({ _id: current._id, authorId: current.authorId, ...LIVE });
      if (!fresh) return { outcome: 'gone' };
      current = fresh;
      if (Date.now() > deadline) return { outcome: 'unchanged', post: current };
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(50, 2 * attempt)));
    }
  }

  /** The reconciler's write: sets the count only if it is still `expected`. True when it matched. */
  async setLikeCount(post: PostDocument, expected: number, likeCount: number): Promise<boolean> {
    const result = await this.posts.updateOne(
      { _id: post._id, authorId: post.authorId, likeCount: expected, ...LIVE },
      { $set: { likeCount } },
    );
    return result.matchedCount === 1;
  }

  private async changePostCount(authorId: string, delta: 1 | -1): Promise<void> {
    await upsertOne(this.authors, { _id: authorId }, { $inc: { postCount: delta } });
  }
}
