import type { Collection, Db } from 'mongodb';
import { insertMissing, shardBy, type ShardKeys } from '@micropost/mongo';
import { characterCount } from '@micropost/server';
import type { UserPosition } from './query-rules.ts';
import { containsPrefix, joinTerms, MAX_PREFIX_LENGTH, prefixesOf, userWords } from './tokenize.ts';
import { deleteIds, READ_BATCH, walkKeys } from './walk.ts';

/**
 * The user index: a prefix index over handles and display-name words, one small document per
 * (prefix, user), read by equality on `prefix` in `_id` order.
 *
 * - `user_tokens` `{ _id: "<prefix> <handle> <userId> <revision>", prefix, userId, h, w }`: the
 *                 users with a word starting with `prefix` (every prefix of 1–20 characters of
 *                 every word); `_id` ascending within a prefix is handle order. `w` is the user's
 *                 words (`" a b c "`) for the other words of a query. Index `{ prefix: 1, _id: 1 }`.
 * - `users`       `{ _id: userId, handle, displayName, revision, w, tokens, stale }`: the profile as
 *                 last indexed and the `_id`s of its tokens. `revision` (1 for `user.registered`)
 *                 orders updates: an older one is ignored. `stale` lists tokens still to be removed
 *                 after a change, so a crash mid-way is finished by the redelivery. Index `{ handle: 1 }`
 *                 (the exact-handle match ranked first).
 *
 * A query reads the tokens of its longest word in handle order, keeps those matching every word and
 * confirms them against `users` in one read per batch, so a token left behind by a concurrent
 * change in another process never shows. At most MAX_EXAMINED_PER_PAGE tokens are examined for one
 * page; then the page ends early with a cursor.
 *
 * Where each lives in a sharded cluster: `UserIndex.shardKeys`.
 */

export interface IndexedUser {
  _id: string;
  handle: string;
  displayName: string;
  revision: number;
  /** The user's words, `" a b c "`. */
  w: string;
  tokens: string[];
  stale: string[];
}

interface TokenDocument {
  _id: string;
  prefix: string;
  userId: string;
  h: string;
  w: string;
}

export const MAX_EXAMINED_PER_PAGE = 1000;

export interface UserHit {
  readonly id: string;
  readonly handle: string;
  readonly exact: boolean;
}

export interface UserSearchResult {
  /** Up to `first + 1` hits in ranking order. */
  readonly hits: UserHit[];
  /** Where the walk stopped when its budget ran out before `first + 1` hits; null when it saw everything. */
  readonly resumeAt: UserPosition | null;
}

const matchesAll = (w: string, words: readonly string[]) => words.every((word) => containsPrefix(w, word));
const tokenId = (prefix: string, handle: string, userId: string, revision: number) =>
  `${prefix} ${handle} ${userId} ${revision}`;
/** Sorts after every token of `handle` under `prefix` (handles hold no spaces). */
const afterHandle = (prefix: string, handle: string) => `${prefix} ${handle} \uffff`;

export interface UserIndexOptions {
  readonly maxExamined?: number;
}

export class UserIndex {
  private constructor(
    readonly users: Collection<IndexedUser>,
    readonly tokens: Collection<TokenDocument>,
    readonly maxExamined: number,
  ) {}

  static readonly shardKeys: ShardKeys = {
    user_tokens: shardBy(
      { prefix: 1, _id: 1 },
      "a query walks one prefix's tokens; _id (which starts with the prefix) lets a one-letter prefix's chunk split",
    ),
    users: shardBy({ _id: 'hashed' }, 'written and confirmed by user id; the exact-handle lookup is the one broadcast'),
  };

  static async open(db: Db, options: UserIndexOptions = {}): Promise<UserIndex> {
    const users = db.collection<IndexedUser>('users');
    await users.createIndex({ handle: 1 }, { name: 'handle' });
    const tokens = db.collection<TokenDocument>('user_tokens');
    await tokens.createIndex({ prefix: 1, _id: 1 }, { name: 'prefix_by_handle' });
    return new UserIndex(users, tokens, options.maxExamined ?? MAX_EXAMINED_PER_PAGE);
  }

  /** Indexes this revision of a profile unless a newer one is indexed already; idempotent. */
  async apply(userId: string, handle: string, displayName: string, revision: number): Promise<void> {
    const current = await this.users.findOne({ _id: userId });
    if (current && current.revision > revision) return;
    if (current && current.revision === revision) {
      // A replay: the new tokens were written before the profile; only the cleanup may be unfinished.
      if (current.stale.length > 0) await this.#clean(userId, current.stale);
      return;
    }
    const words = userWords(handle, displayName);
    const w = joinTerms(words);
    const tokens = prefixesOf(words).map((prefix) => ({
      _id: tokenId(prefix, handle, userId, revision),
      prefix,
      userId,
      h: handle,
      w,
    }));
    await insertMissing(this.tokens, tokens);
    const ids = tokens.map((token) => token._id);
    const kept = new Set(ids);
    const stale = [...new Set([...(current?.tokens ?? []), ...(current?.stale ?? [])])].filter((id) => !kept.has(id));
    await this.users.updateOne(
      { _id: userId },
      { $set: { handle, displayName, revision, w, tokens: ids, stale } },
      { upsert: true },
    );
    if (stale.length > 0) await this.#clean(userId, stale);
  }

  async #clean(userId: string, stale: readonly string[]): Promise<void> {
    await deleteIds(this.tokens, stale);
    await this.users.updateOne({ _id: userId }, { $set: { stale: [] } });
  }

  /**
   * Users having, for every query word, a word that starts with it; the user whose handle is
   * exactly `handle` first, then by handle. Up to `first + 1` hits after `after`.
   */
  async search(
    words: readonly string[],
    handle: string | null,
    first: number,
    after: UserPosition | null,
  ): Promise<UserSearchResult> {
    const longest = words.reduce((a, b) => (characterCount(b) > characterCount(a) ? b : a));
    const prefix = [...longest].slice(0, MAX_PREFIX_LENGTH).join('');
    const hits: UserHit[] = [];
    if (after === null && handle !== null) {
      const exact = await this.users.findOne({ handle });
      if (exact && matchesAll(exact.w, words)) hits.push({ id: exact._id, handle, exact: true });
    }
    const { kept, stoppedAt } = await walkKeys<TokenDocument>({
      want: first + 1 - hits.length,
      budget: Math.max(first + 1, this.maxExamined),
      start: after === null || after.exact ? null : afterHandle(prefix, after.handle),
      read: (from, limit) =>
        this.tokens
          .find({ prefix, ...(from === null ? {} : { _id: { $gt: from } }) })
          .sort({ _id: 1 })
          .limit(limit)
          .toArray(),
      keep: async (batch) => {
        // The exact match is ranked first, never again in handle order.
        const candidates = batch.filter((token) => token.h !== handle && matchesAll(token.w, words));
        if (candidates.length === 0) return [];
        const current = new Map<string, IndexedUser>();
        const ids = [...new Set(candidates.map((token) => token.userId))];
        for (let start = 0; start < ids.length; start += READ_BATCH)
          for (const user of await this.users.find({ _id: { $in: ids.slice(start, start + READ_BATCH) } }).toArray())
            current.set(user._id, user);
        return candidates.filter((token) => {
          const user = current.get(token.userId);
          return user !== undefined && user.handle === token.h && matchesAll(user.w, words);
        });
      },
    });
    hits.push(...kept.map((token) => ({ id: token.userId, handle: token.h, exact: false })));
    return { hits, resumeAt: stoppedAt && { exact: false, handle: stoppedAt.h } };
  }
}
