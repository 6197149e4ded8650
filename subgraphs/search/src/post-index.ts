import type { Collection, Db } from 'mongodb';
import { insertMissing, shardBy, type ShardKeys } from '@micropost/mongo';
import { characterCount } from '@micropost/server';
import { Batcher, INDEX_BATCHING } from './batcher.ts';
import type { PostPosition } from './query-rules.ts';
import { containsTerm, joinTerms, postTerms } from './tokenize.ts';
import { deleteIds, walkKeys } from './walk.ts';

/**
 * The post index: one small document per (term, post), read by equality on `term` in `_id` order.
 *
 * - `post_tokens` `{ _id: "<term> <time> <postId>", term, t, w }`: `<time>` is createdAt in ms,
 *                 zero-padded, so within one term `_id` descending is newest first (then by postId,
 *                 descending). `w` is the post's whole term set (`" a b c "`), so the other words of
 *                 a query are checked without reading anything else. Index `{ term: 1, _id: -1 }`:
 *                 a page is `{ term }` sorted by `_id` with a limit, an index range on MongoDB and
 *                 the top-N shape the patched FerretDB pushes down; later pages add `_id < cursor`.
 * - `posts`       `{ _id: postId, t, terms?, deleted? }`: what was indexed, so a delete knows which
 *                 tokens to remove; a deleted post stays as a small tombstone (`{ _id, t, deleted }`)
 *                 so that a late `post.created` cannot resurrect it.
 *
 * No document grows with the number of posts: a post writes one token per distinct term (at most
 * 280 characters of body), in one unordered insert that skips those already there (idempotent).
 * Posts arriving together are indexed as one batch: the same four commands for all of them.
 *
 * A query walks the postings of one term (the longest: long words are the rarest, in practice)
 * newest first and keeps those containing every term, until the page is full or
 * MAX_EXAMINED_PER_PAGE postings were examined; then the page may be short, with hasNextPage and a
 * cursor where the walk stopped.
 *
 * Where each lives in a sharded cluster: `PostIndex.shardKeys`.
 */

export interface PostDocument {
  _id: string;
  /** createdAt, epoch ms. */
  t: number;
  /** Present while the post is indexed (and, on a deleted post, until its tokens are removed). */
  terms?: string[];
  deleted?: true;
}

interface NewPost {
  readonly postId: string;
  /** createdAt, epoch ms. */
  readonly t: number;
  readonly body: string;
}

interface TokenDocument {
  _id: string;
  term: string;
  t: number;
  w: string;
}

/** At most about this many postings are examined for one page of a multi-word query. */
export const MAX_EXAMINED_PER_PAGE = 2000;

export interface PostHit {
  readonly id: string;
  readonly t: number;
}

export interface PostSearchResult {
  /** Up to `first + 1` hits, newest first. */
  readonly hits: PostHit[];
  /** Where the walk stopped when it ran out of budget before `first + 1` hits; null when it saw everything. */
  readonly resumeAt: PostPosition | null;
}

/** Fixed width, so that string order is time order (epoch ms fit 15 digits until the year 33658). */
const timeKey = (t: number) => String(Math.max(0, Math.trunc(t))).padStart(15, '0');
const tokenId = (term: string, t: number, postId: string) => `${term} ${timeKey(t)} ${postId}`;
const postIdOf = (token: TokenDocument) => token._id.slice(token._id.lastIndexOf(' ') + 1);

export interface PostIndexOptions {
  readonly maxExamined?: number;
}

export class PostIndex {
  private constructor(
    readonly posts: Collection<PostDocument>,
    readonly tokens: Collection<TokenDocument>,
    readonly maxExamined: number,
  ) {}

  static readonly shardKeys: ShardKeys = {
    post_tokens: shardBy(
      { term: 1, _id: 1 },
      "a query walks one term's postings; _id (which starts with the term) lets a trending tag's chunk split",
    ),
    posts: shardBy({ _id: 'hashed' }, 'read and written by post id only'),
  };

  static async open(db: Db, options: PostIndexOptions = {}): Promise<PostIndex> {
    const tokens = db.collection<TokenDocument>('post_tokens');
    await tokens.createIndex({ term: 1, _id: -1 }, { name: 'term_newest_first' });
    return new PostIndex(db.collection<PostDocument>('posts'), tokens, options.maxExamined ?? MAX_EXAMINED_PER_PAGE);
  }

  /**
   * Indexes a post; idempotent, and a no-op for a post already deleted (tombstone). Calls made
   * while a batch is written are indexed together in the next (see Batcher).
   */
  add(postId: string, createdAt: Date, body: string): Promise<void> {
    const t = createdAt.getTime();
    if (!Number.isFinite(t)) return Promise.reject(new Error(`post ${postId} has an invalid createdAt`));
    return this.#batcher.add({ postId, t, body });
  }

  readonly #batcher = new Batcher<NewPost>((posts) => this.#addAll(posts), INDEX_BATCHING);

  /**
   * The steps of one post, each once for the batch: read the posts, claim the new ones, insert
   * every token, read the posts again for a delete that came in between.
   */
  async #addAll(batch: NewPost[]): Promise<void> {
    // One entry per post (a replay in the same batch changes nothing).
    const posts = [...new Map(batch.map((post) => [post.postId, post])).values()];
    const ids = posts.map((post) => post.postId);
    const current = await this.#read(ids);
    const live = posts.filter((post) => !current.get(post.postId)?.deleted);
    const indexed = live.map((post) => ({ ...post, terms: postTerms(post.body) }));
    // Claim first: a concurrent delete (another process) then either sees these terms or we see its tombstone below.
    const claims = indexed.filter((post) => !current.has(post.postId));
    if (claims.length > 0)
      await this.posts.bulkWrite(
        claims.map(({ postId, t, terms }) => ({
          updateOne: { filter: { _id: postId }, update: { $setOnInsert: { t, terms } }, upsert: true },
        })),
        { ordered: false },
      );
    await insertMissing(
      this.tokens,
      indexed.flatMap(({ postId, t, terms }) => {
        const w = joinTerms(terms);
        return terms.map((term) => ({ _id: tokenId(term, t, postId), term, t, w }));
      }),
    );
    if (indexed.length === 0) return;
    const after = await this.#read(indexed.map((post) => post.postId));
    const deleted = indexed.filter((post) => after.get(post.postId)?.deleted);
    await deleteIds(
      this.tokens,
      deleted.flatMap(({ postId, t, terms }) => terms.map((term) => tokenId(term, t, postId))),
    );
  }

  async #read(ids: readonly string[]): Promise<Map<string, PostDocument>> {
    const found = await this.posts.find({ _id: { $in: [...ids] } }).toArray();
    return new Map(found.map((post) => [post._id, post]));
  }

  /** Removes a post from the index, leaving a tombstone; idempotent, and works before the post was ever indexed. */
  async remove(postId: string, createdAt: Date): Promise<void> {
    const current = await this.posts.findOne({ _id: postId });
    if (current?.deleted && !current.terms) return;
    const t = current?.t ?? createdAt.getTime();
    // The tombstone keeps the terms until the tokens are gone, so a crash in between is finished by the redelivery.
    await this.posts.updateOne(
      { _id: postId },
      { $set: { deleted: true }, $setOnInsert: { t: Number.isFinite(t) ? t : 0 } },
      { upsert: true },
    );
    if (current?.terms) await this.#removeTokens(postId, t, current.terms);
    await this.posts.updateOne({ _id: postId }, { $unset: { terms: '' } });
  }

  async #removeTokens(postId: string, t: number, terms: readonly string[]): Promise<void> {
    if (terms.length === 0) return;
    await deleteIds(
      this.tokens,
      terms.map((term) => tokenId(term, t, postId)),
    );
  }

  /** Posts containing every term, newest first, strictly older than `after`: up to `first + 1` of them. */
  async search(terms: readonly string[], first: number, after: PostPosition | null): Promise<PostSearchResult> {
    const driver = terms.reduce((a, b) => (characterCount(b) > characterCount(a) ? b : a));
    const others = terms.filter((term) => term !== driver);
    const { kept, stoppedAt } = await walkKeys<TokenDocument>({
      want: first + 1,
      budget: others.length === 0 ? first + 1 : this.maxExamined,
      start: after === null ? null : tokenId(driver, after.t, after.id),
      read: (before, limit) =>
        this.tokens
          .find({ term: driver, ...(before === null ? {} : { _id: { $lt: before } }) })
          .sort({ _id: -1 })
          .limit(limit)
          .toArray(),
      keep: (batch) => batch.filter((token) => others.every((term) => containsTerm(token.w, term))),
    });
    const hit = (token: TokenDocument): PostHit => ({ id: postIdOf(token), t: token.t });
    return { hits: kept.map(hit), resumeAt: stoppedAt && hit(stoppedAt) };
  }
}
