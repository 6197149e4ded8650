import type { Collection, Db } from 'mongodb';
import { createEvent } from '@micropost/events';
import type { Logger } from '@micropost/logger';
import { insertIfAbsent, parseObjectId, ObjectId, shardBy, type ShardKeys } from '@micropost/mongo';
import { NotFoundError } from '@micropost/server';
import type { PostDocument, PostStore } from './post-store.ts';

/**
 * One user's like of one post. Where it lives in a sharded cluster: `LikeStore.shardKeys`.
 *
 * Life cycle, so a crash between the like write and the count write can be repaired:
 * inserted `counted: false` → post's `likeCount` +1 (with `post.liked`) → `counted: true`;
 * unliking: `removingSince` set → `likeCount` −1 (with `post.unliked`) → document deleted.
 */
export interface LikeDocument {
  _id: ObjectId;
  postId: ObjectId;
  /** The liker's user id (hex). */
  userId: string;
  createdAt: Date;
  /** False until this like's +1 is written into the post's `likeCount`. */
  counted: boolean;
  /** Set when an unlike claimed this like; its −1 is then written, then the document is deleted. */
  removingSince?: Date;
}

/** A like (or unlike) still unfinished after this long is taken to belong to a request that died. */
export const STUCK_AFTER_MS = 30_000;
/** How often the reconciler looks for stuck likes (it also runs once at start-up). */
export const RECONCILE_INTERVAL_MS = 60_000;
/** Stuck likes looked at per run: a run is bounded; the rest wait for the next one. */
export const RECONCILE_BATCH = 100;

/** The only code that touches the `likes` collection; counts live on the post, written through PostStore. */
export class LikeStore {
  private constructor(
    readonly likes: Collection<LikeDocument>,
    private readonly posts: PostStore,
    private readonly logger: Logger,
  ) {}

  static readonly shardKeys: ShardKeys = {
    likes: shardBy(
      { postId: 1, userId: 1 },
      "every access names the post (its likes, a viewer's likes among a page: postId $in); ranged, as the unique " +
        "index must start with the key; userId lets a viral post's chunk split",
    ),
  };

  static async open(db: Db, posts: PostStore, logger: Logger): Promise<LikeStore> {
    const likes = db.collection<LikeDocument>('likes');
    // One like per user and post, enforced by the database, not by a read-then-write.
    await likes.createIndex({ postId: 1, userId: 1 }, { unique: true, name: 'post_user_unique' });
    // The viewer's likes among a page of posts: `{ userId, postId: { $in } }`.
    await likes.createIndex({ userId: 1, postId: 1 }, { name: 'user_post' });
    // The reconciler's two scans for stuck likes.
    await likes.createIndex({ counted: 1, createdAt: 1 }, { name: 'counted_createdAt' });
    await likes.createIndex({ removingSince: 1 }, { name: 'removingSince' });
    return new LikeStore(likes, posts, logger.child({ component: 'likes' }));
  }

  /**
   * Records the like and adds it to the post's count with `post.liked`. Only the request whose
   * insert succeeded changes the count: a duplicate key means "already liked", and liking again
   * returns the post unchanged. NOT_FOUND when the post is deleted meanwhile.
   */
  async like(post: PostDocument, userId: string, requestId: string): Promise<PostDocument> {
    const like: LikeDocument = { _id: new ObjectId(), postId: post._id, userId, createdAt: new Date(), counted: false };
    if (!(await insertIfAbsent(this.likes, like))) return post;
    const postId = post._id.toHexString();
    const change = await this.posts.changeLikeCount(post, 1, (likeCount) =>
      createEvent('post.liked', { postId, authorId: post.authorId, likerId: userId, likeCount }, { requestId }),
    );
    switch (change.outcome) {
      case 'changed':
        await this.likes.updateOne({ _id: like._id, postId: post._id, counted: false }, { $set: { counted: true } });
        return change.post;
      case 'gone':
        await this.likes.deleteOne({ _id: like._id, postId: post._id });
        throw new NotFoundError('There is no such post.');
      case 'unchanged':
        // The like is stored; the reconciler counts it once it is STUCK_AFTER_MS old.
        this.logger.warn(
          { postId, userId },
          'like stored but its count change gave up under contention; left to the reconciler',
        );
        return change.post;
    }
  }

  /**
   * Claims the viewer's like (marks it `removingSince`), subtracts it from the count with
   * `post.unliked`, then deletes it. Only the request that claimed it changes the count; with no
   * counted like to claim (never liked, or a concurrent request has it) it returns the post unchanged.
   */
  async unlike(post: PostDocument, userId: string, requestId: string): Promise<PostDocument> {
    const claimed = await this.likes.findOneAndUpdate(
      { postId: post._id, userId, counted: true, removingSince: { $exists: false } },
      { $set: { removingSince: new Date() } },
      { returnDocument: 'after' },
    );
    if (!claimed) return post;
    const postId = post._id.toHexString();
    const change = await this.posts.changeLikeCount(post, -1, (likeCount) =>
      createEvent('post.unliked', { postId, authorId: post.authorId, likerId: userId, likeCount }, { requestId }),
    );
    switch (change.outcome) {
      case 'changed':
        await this.likes.deleteOne({ _id: claimed._id, postId: post._id });
        return change.post;
      case 'gone':
        await this.likes.deleteOne({ _id: claimed._id, postId: post._id });
        throw new NotFoundError('There is no such post.');
      case 'unchanged':
        this.logger.warn(
          { postId, userId },
          'unlike claimed but its count change was not written; left to the reconciler',
        );
        return change.post;
    }
  }

  /** Whether `userId` likes each post; one query per batch, lined up with `postIds`. */
  async likedBy(userId: string, postIds: readonly string[]): Promise<boolean[]> {
    const objectIds = postIds.map(parseObjectId).filter((id): id is ObjectId => id !== null);
    const found =
      objectIds.length === 0
        ? []
        : await this.likes
            .find(
              { userId, postId: { $in: objectIds }, removingSince: { $exists: false } },
              { projection: { postId: 1 } },
            )
            .toArray();
    const liked = new Set(found.map((like) => like.postId.toHexString()));
    return postIds.map((id) => liked.has(id.toLowerCase()));
  }

  /** A deleted post's likes go with it. */
  async removeForPost(postId: ObjectId): Promise<void> {
    await this.likes.deleteMany({ postId });
  }

  /**
   * Repairs counts after a crash. Without multi-document transactions, a like (or unlike) and its
   * count change are two writes; a process dying between them leaves the like `counted: false` (or
   * `removingSince` set) and nobody knows whether the post's `likeCount` already includes it. So
   * the reconciler does not add or subtract: it RECOUNTS the post's likes and writes that count,
   * conditional on the count it read, then finishes the stuck likes (marks them counted, deletes
   * stuck removals). Recounting is idempotent, so several servers may reconcile at once, and a
   * crash of the reconciler itself is repaired by its next run.
   *
   * A like is "stuck" only after STUCK_AFTER_MS: a live request finishes (or gives up, see
   * PostStore.changeLikeCount's 10 s deadline) well before that. A post with any like still in
   * flight is skipped this round, because its count change may or may not be written yet.
   *
   * Returns how many posts it looked at.
   */
  async reconcile(now = new Date()): Promise<number> {
    const cutoff = new Date(now.getTime() - STUCK_AFTER_MS);
    const stuck = await this.likes
      .find(
        { $or: [{ counted: false, createdAt: { $lt: cutoff } }, { removingSince: { $lt: cutoff } }] },
        { projection: { postId: 1 } },
      )
      .limit(RECONCILE_BATCH)
      .toArray();
    const postIds = [...new Map(stuck.map((like) => [like.postId.toHexString(), like.postId])).values()];
    for (const postId of postIds) await this.#reconcilePost(postId, cutoff);
    return postIds.length;
  }

  async #reconcilePost(postId: ObjectId, cutoff: Date): Promise<void> {
    // 1. The count as it stands; the final write is conditional on it.
    const post = await this.posts.findLive(postId);
    if (!post) {
      await this.likes.deleteMany({ postId });
      return;
    }
    // 2. A like or unlike of this post still in flight may or may not have written its change: come back later.
    //    (Ones that start after this check change `likeCount` after step 1, so step 4 fails — or after step 4, which is right.)
    const inFlight = await this.likes.countDocuments(
      { postId, $or: [{ counted: false, createdAt: { $gte: cutoff } }, { removingSince: { $gte: cutoff } }] },
      { limit: 1 },
    );
    if (inFlight > 0) return;
    // 3. What the count should be: every like except stuck removals (finished in step 5). Likes
    //    inserted after step 2 are left out: their own request adds them.
    const likeCount = await this.likes.countDocuments({
      postId,
      $nor: [{ counted: false, createdAt: { $gte: cutoff } }, { removingSince: { $lt: cutoff } }],
    });
    // 4. Always written (even when equal), so a change since step 1 makes it fail rather than be overwritten.
    if (!(await this.posts.setLikeCount(post, post.likeCount, likeCount))) return;
    if (likeCount !== post.likeCount)
      this.logger.warn(
        { postId: postId.toHexString(), from: post.likeCount, to: likeCount },
        'reconciled a like count',
      );
    // 5. Finish the stuck likes: their effect is now in the count.
    await this.likes.updateMany({ postId, counted: false, createdAt: { $lt: cutoff } }, { $set: { counted: true } });
    await this.likes.deleteMany({ postId, removingSince: { $lt: cutoff } });
  }
}
