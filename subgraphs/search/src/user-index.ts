import type { AnyBulkWriteOperation, Collection, Db } from 'mongodb';
import { insertMissing, shardBy, type ShardKeys } from '@micropost/mongo';
import { characterCount } from '@micropost/server';
import { Batcher, INDEX_BATCHING } from './batcher.ts';
import type { UserPosition } from './query-rules.ts';
import { containsPrefix, joinTerms, MAX_PREFIX_LENGTH, prefixesOf, userWords } from './tokenize.ts';
import { deleteIds, READ_BATCH, walkKeys } from './walk.ts';

/**
 * The user index: a prefix index over handles and display-name words, one small document per
 * (prefix, user), read by equality on `prefix` in `_id` order.
 *
 * - `user_tokens` `{ _id: "<prefix> <handle> <userId> <revision>", prefix, userId, h, w }`: the
 *                 users with a word starting with `prefix` (every prefix of 1–20 letters or digits
 *                 of every word); `_id` ascending within a prefix is handle order. `w` is the user's
 *                 words (`" a b c "`) for the other words of a query. Index `{ prefix: 1, _id: 1 }`.
 * - `users`       `{ _id: userId, handle, displayName, revision, w, tokens, stale }`: the profile as
 *                 last indexed and the `_id`s of its tokens. `revision` (1 for `user.registered`)
 *                 orders updates: an older one is ignored. `stale` lists tokens still to be removed
 *                 after a change, so a crash mid-way is finished by the redelivery. Index `{ handle: 1 }`
 *                 (the exact-handle match ranked first).
 *
 * Events are applied in batches (those in flight together): one read of the profiles, one insert
 * of the new tokens, one insert of new profiles and one bulk update of changed ones, then the
 * removal of renamed-away tokens.
 *
 * A query reads the tokens of its longest word in handle order (a one-word query: just the page),
 * keeps those matching every word and confirms them against `users`, only as many as the page
 * still needs per read, so a token left behind by a concurrent change in another process never
 * shows. The exact-handle match is read alongside. At most MAX_EXAMINED_PER_PAGE tokens are
 * examined for one page; then the page ends early with a cursor.
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

interface ProfileRevision {
  readonly userId: string;
  readonly handle: string;
  readonly displayName: string;
  readonly revision: number;
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

/** What a query reads of a profile: enough to confirm a token (not the token list). */
const CONFIRM_FIELDS = { handle: 1, w: 1 } as const;
type ConfirmedUser = Pick<IndexedUser, '_id' | 'handle' | 'w'>;

/** Sets the profile unless the stored revision is this one or newer. */
const newerRevision = (userId: string, profile: Omit<IndexedUser, '_id'>): AnyBulkWriteOperation<IndexedUser> => ({
  updateOne: { filter: { _id: userId, revision: { $lt: profile.revision } }, update: { $set: profile } },
});

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

  /**
   * Indexes this revision of a profile unless a newer one is indexed already; idempotent. Calls
   * made while a batch is written are applied together in the next (see Batcher).
   */
  apply(userId: string, handle: string, displayName: string, revision: number): Promise<void> {
    return this.#batcher.add({ userId, handle, displayName, revision });
  }

  readonly #batcher = new Batcher<ProfileRevision>((changes) => this.#applyAll(changes), INDEX_BATCHING);

  /** Rounds of one change per user, in call order (a user's events are serialized by the consumer anyway). */
  async #applyAll(changes: ProfileRevision[]): Promise<void> {
    let rest = changes;
    while (rest.length > 0) {
      const seen = new Set<string>();
      const round: ProfileRevision[] = [];
      const later: ProfileRevision[] = [];
      for (const change of rest) {
        (seen.has(change.userId) ? later : round).push(change);
        seen.add(change.userId);
      }
      await this.#applyRound(round);
      rest = later;
    }
  }

  /**
   * One read of the profiles, one insert of every new token, one insert of the new profiles and one
   * bulk update of the changed ones, and (after renames) one delete of the old tokens: the steps
   * for one profile, in the same order, so a crash between two leaves what the redelivery finishes.
   */
  async #applyRound(changes: readonly ProfileRevision[]): Promise<void> {
    const current = new Map<string, IndexedUser>();
    for (const user of await this.users.find({ _id: { $in: changes.map((change) => change.userId) } }).toArray())
      current.set(user._id, user);
    const tokens: TokenDocument[] = [];
    const created: IndexedUser[] = [];
    const profiles: AnyBulkWriteOperation<IndexedUser>[] = [];
    const cleanups: { userId: string; stale: string[] }[] = [];
    for (const { userId, handle, displayName, revision } of changes) {
      const indexed = current.get(userId);
      if (indexed && indexed.revision > revision) continue;
      if (indexed && indexed.revision === revision) {
        // A replay: the new tokens were written before the profile; only the cleanup may be unfinished.
        if (indexed.stale.length > 0) cleanups.push({ userId, stale: indexed.stale });
        continue;
      }
      const words = userWords(handle, displayName);
      const w = joinTerms(words);
      const own = prefixesOf(words).map((prefix) => ({
        _id: tokenId(prefix, handle, userId, revision),
        prefix,
        userId,
        h: handle,
        w,
      }));
      tokens.push(...own);
      const ids = own.map((token) => token._id);
      const kept = new Set(ids);
      const stale = [...new Set([...(indexed?.tokens ?? []), ...(indexed?.stale ?? [])])].filter((id) => !kept.has(id));
      const profile = { handle, displayName, revision, w, tokens: ids, stale };
      // A new profile is inserted: an upsert costs FerretDB a query and a lock per statement.
      if (!indexed) created.push({ _id: userId, ...profile });
      else profiles.push(newerRevision(userId, profile));
      if (stale.length > 0) cleanups.push({ userId, stale });
    }
    await insertMissing(this.tokens, tokens);
    const inserted = new Set(await insertMissing(this.users, created));
    // Inserted meanwhile by another server: an update, unless that one is newer.
    for (const { _id, ...profile } of created.filter((user) => !inserted.has(user)))
      profiles.push(newerRevision(_id, profile));
    if (profiles.length > 0) await this.users.bulkWrite(profiles, { ordered: false });
    if (cleanups.length === 0) return;
    await deleteIds(
      this.tokens,
      cleanups.flatMap((cleanup) => cleanup.stale),
    );
    await this.users.bulkWrite(
      cleanups.map(({ userId }) => ({ updateOne: { filter: { _id: userId }, update: { $set: { stale: [] } } } })),
      { ordered: false },
    );
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
    // The exact match is looked up while the tokens are read: one round trip of latency, not two.
    const exactLookup =
      after === null && handle !== null
        ? this.users.findOne({ handle }, { projection: CONFIRM_FIELDS })
        : Promise.resolve(null);
    const walk = walkKeys<TokenDocument>({
      want: first + 1,
      budget: Math.max(first + 1, this.maxExamined),
      // One word: every token of the prefix matches, only a stale one (rare) is dropped, so read just the page.
      readAhead: words.length === 1 ? 0 : READ_BATCH,
      start: after === null || after.exact ? null : afterHandle(prefix, after.handle),
      read: (from, limit) =>
        this.tokens
          .find({ prefix, ...(from === null ? {} : { _id: { $gt: from } }) })
          .sort({ _id: 1 })
          .limit(limit)
          .toArray(),
      keep: async (batch, needed) => {
        // The exact match is ranked first, never again in handle order.
        const candidates = batch.filter((token) => token.h !== handle && matchesAll(token.w, words));
        // Confirmed against the profiles in order, only as many as still needed per read (a few
        // more when one was stale), so a page confirms about its own size.
        const confirmed = new Set<TokenDocument>();
        let next = 0;
        while (next < candidates.length && confirmed.size < needed) {
          const chunk = candidates.slice(next, next + Math.min(READ_BATCH, needed - confirmed.size));
          next += chunk.length;
          const ids = [...new Set(chunk.map((token) => token.userId))];
          const current = new Map<string, ConfirmedUser>();
          for (const user of await this.users.find({ _id: { $in: ids } }, { projection: CONFIRM_FIELDS }).toArray())
            current.set(user._id, user);
          for (const token of chunk) {
            const user = current.get(token.userId);
            if (user !== undefined && user.handle === token.h && matchesAll(user.w, words)) confirmed.add(token);
          }
        }
        return candidates.filter((token) => confirmed.has(token));
      },
    });
    const [exact, { kept, stoppedAt }] = await Promise.all([exactLookup, walk]);
    const hits: UserHit[] = [];
    if (exact && handle !== null && matchesAll(exact.w, words)) hits.push({ id: exact._id, handle, exact: true });
    hits.push(...kept.map((token) => ({ id: token.userId, handle: token.h, exact: false })));
    // The walk wanted first + 1 others; with the exact match in front, one of them is surplus.
    hits.splice(first + 1);
    return { hits, resumeAt: stoppedAt && { exact: false, handle: stoppedAt.h } };
  }
}
