import type { Collection, Db } from 'mongodb';
import { updateEach } from '@micropost/mongo';
import { fromFieldKey, toFieldKey } from './field-keys.ts';
import type { PostPosition } from './query-rules.ts';
import { containsTerm, joinTerms, postTerms } from './tokenize.ts';

/**
 * The post index: an inverted index from term to posts, bucketed by hour.
 *
 * Every read is a point lookup by `_id`, which FerretDB 1.24 pushes down to its backend (it
 * evaluates range filters and `$in` in Go after reading every document, and sorts and limits in
 * memory); on MongoDB each is an `_id` index seek. So instead of one row per (term, post) found
 * with a range on `{ term, createdAt }`, postings live in documents whose `_id` the query can
 * compute:
 *
 * - `post_terms`    `{ _id: term, h: { "<hour>": true } }`: the hours (epoch hours of the posts'
 *                   createdAt) in which the term has postings. A query reads one per term.
 * - `post_buckets`  `{ _id: "<term>|<hour>", e: { "<postId>": { t, w } } }`: the postings of one
 *                   term in one hour: createdAt in ms and the post's whole term set (`" a b c "`),
 *                   so other query terms are checked in memory without reading anything else.
 * - `posts`         `{ _id: postId, t, terms?, deleted? }`: what was indexed, so a delete knows
 *                   which buckets to clean; a deleted post stays as a small tombstone
 *                   (`{ _id, t, deleted: true }`) so a late `post.created` cannot resurrect it.
 *
 * Writes are single-document `$set`/`$unset` of one field (`e.<postId>`, `h.<hour>`) with upsert:
 * atomic on MongoDB, idempotent, and safe within one process on FerretDB (one connection).
 *
 * A query reads the term directories, keeps the hours present in EVERY term's directory, and walks
 * them newest first in the bucket of the term with the fewest hours, keeping postings that contain
 * all terms and are older than the cursor, until the page is full or a budget of buckets/postings
 * is spent (then the page may be short, with hasNextPage and a cursor where the walk stopped).
 *
 * Shard keys at scale: `_id` (hashed) for all three collections.
 */

export interface PostDocument {
  _id: string;
  /** createdAt, epoch ms. */
  t: number;
  /** Present while the post is indexed (and, on a deleted post, until its postings are removed). */
  terms?: string[];
  deleted?: true;
}

interface TermDirectory {
  _id: string;
  h: Record<string, true>;
}

interface Posting {
  t: number;
  w: string;
}

interface Bucket {
  _id: string;
  e: Record<string, Posting>;
}

export const HOUR_MS = 3_600_000;
/** At most this many buckets are read for one page… */
export const MAX_BUCKETS_PER_PAGE = 48;
/** …and at most about this many postings examined. */
export const MAX_POSTINGS_PER_PAGE = 20_000;

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

const bucketId = (term: string, hour: number) => `${term}|${hour}`;
const isOlder = (a: PostHit, b: PostPosition) => a.t < b.t || (a.t === b.t && a.id < b.id);
const newestFirst = (a: PostHit, b: PostHit) => b.t - a.t || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

export class PostIndex {
  private constructor(
    readonly posts: Collection<PostDocument>,
    readonly terms: Collection<TermDirectory>,
    readonly buckets: Collection<Bucket>,
  ) {}

  /** Nothing to create: every query is by `_id`, whose unique index every collection has. */
  static async open(db: Db): Promise<PostIndex> {
    return new PostIndex(
      db.collection<PostDocument>('posts'),
      db.collection<TermDirectory>('post_terms'),
      db.collection<Bucket>('post_buckets'),
    );
  }

  /** Indexes a post; idempotent, and a no-op for a post already deleted (tombstone). */
  async add(postId: string, createdAt: Date, body: string): Promise<void> {
    const t = createdAt.getTime();
    if (!Number.isFinite(t)) throw new Error(`post ${postId} has an invalid createdAt`);
    const current = await this.posts.findOne({ _id: postId });
    if (current?.deleted) return;
    const terms = postTerms(body);
    // Claim first: a concurrent delete (another process) then either sees these terms or we see its tombstone below.
    if (!current) await this.posts.updateOne({ _id: postId }, { $setOnInsert: { t, terms } }, { upsert: true });
    const hour = Math.floor(t / HOUR_MS);
    const key = toFieldKey(postId);
    const posting: Posting = { t, w: joinTerms(terms) };
    if (terms.length > 0) {
      await updateEach(
        this.buckets,
        terms.map((term) => ({
          filter: { _id: bucketId(term, hour) },
          update: { $set: { [`e.${key}`]: posting } },
          upsert: true,
        })),
      );
      await updateEach(
        this.terms,
        terms.map((term) => ({ filter: { _id: term }, update: { $set: { [`h.${hour}`]: true } }, upsert: true })),
      );
    }
    const after = await this.posts.findOne({ _id: postId });
    if (after?.deleted) await this.#removePostings(postId, t, terms);
  }

  /** Removes a post from the index, leaving a tombstone; idempotent, and works before the post was ever indexed. */
  async remove(postId: string, createdAt: Date): Promise<void> {
    const current = await this.posts.findOne({ _id: postId });
    if (current?.deleted && !current.terms) return;
    const t = current?.t ?? createdAt.getTime();
    // The tombstone keeps the terms until the postings are gone, so a crash in between is finished by the redelivery.
    await this.posts.updateOne(
      { _id: postId },
      { $set: { deleted: true }, $setOnInsert: { t: Number.isFinite(t) ? t : 0 } },
      { upsert: true },
    );
    if (current?.terms) await this.#removePostings(postId, t, current.terms);
    await this.posts.updateOne({ _id: postId }, { $unset: { terms: '' } });
  }

  async #removePostings(postId: string, t: number, terms: readonly string[]): Promise<void> {
    if (terms.length === 0) return;
    const hour = Math.floor(t / HOUR_MS);
    const key = toFieldKey(postId);
    await updateEach(
      this.buckets,
      terms.map((term) => ({ filter: { _id: bucketId(term, hour) }, update: { $unset: { [`e.${key}`]: '' } } })),
    );
  }

  /** Posts containing every term, newest first, strictly older than `after`: up to `first + 1` of them. */
  async search(terms: readonly string[], first: number, after: PostPosition | null): Promise<PostSearchResult> {
    const directories = await Promise.all(terms.map((term) => this.terms.findOne({ _id: term })));
    if (directories.some((directory) => directory === null)) return { hits: [], resumeAt: null };
    const hourSets = (directories as TermDirectory[]).map((directory) => directory.h ?? {});
    // Drive the walk from the term present in the fewest hours; an hour must hold every term.
    let driver = 0;
    hourSets.forEach((set, i) => {
      if (Object.keys(set).length < Object.keys(hourSets[driver]!).length) driver = i;
    });
    const maxHour = after === null ? Infinity : Math.floor((after.t - (after.id === '' ? 1 : 0)) / HOUR_MS);
    const hours = Object.keys(hourSets[driver]!)
      .map(Number)
      .filter((hour) => hour <= maxHour && hourSets.every((set) => Object.hasOwn(set, String(hour))))
      .sort((a, b) => b - a);

    const hits: PostHit[] = [];
    let examined = 0;
    let bucketsRead = 0;
    for (const hour of hours) {
      if (hits.length > first) break;
      if (bucketsRead >= MAX_BUCKETS_PER_PAGE || examined >= MAX_POSTINGS_PER_PAGE) {
        // Everything newer than the end of this hour has been seen.
        return { hits, resumeAt: { t: (hour + 1) * HOUR_MS, id: '' } };
      }
      const bucket = await this.buckets.findOne({ _id: bucketId(terms[driver]!, hour) });
      bucketsRead++;
      const entries = Object.entries(bucket?.e ?? {});
      examined += entries.length;
      const found: PostHit[] = [];
      for (const [key, posting] of entries) {
        const hit = { id: fromFieldKey(key), t: posting.t };
        if (after !== null && !isOlder(hit, after)) continue;
        if (terms.every((term) => containsTerm(posting.w, term))) found.push(hit);
      }
      hits.push(...found.sort(newestFirst));
    }
    return { hits: hits.slice(0, first + 1), resumeAt: null };
  }
}
