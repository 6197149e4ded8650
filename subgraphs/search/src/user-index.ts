import type { Collection, Db } from 'mongodb';
import { updateEach } from '@micropost/mongo';
import { fromFieldKey, toFieldKey } from './field-keys.ts';
import type { UserPosition } from './query-rules.ts';
import { containsPrefix, joinTerms, MAX_PREFIX_LENGTH, prefixesOf, userWords } from './tokenize.ts';

/**
 * The user index: a prefix index over handles and display-name words.
 *
 * As for posts, every read is a point lookup by `_id` (see post-index.ts for why):
 *
 * - `user_prefixes` `{ _id: prefix, u: { "<userId>": { h: handle, w: " words " } } }`: the users
 *   with a word starting with `prefix` (every prefix of 1–20 characters of every word).
 * - `users`         `{ _id: userId, handle, displayName, revision, w, prefixes, stale }`: the
 *   profile as last indexed. `revision` (1 for `user.registered`) orders updates: an older one
 *   is ignored. `stale` lists prefixes still to be cleaned after a rename, so a crash mid-way is
 *   finished by the redelivery.
 *
 * A query reads the prefix document of its longest word, filters and orders its entries in memory
 * (exact handle first, then by handle) and confirms each candidate against `users`, so an entry
 * left behind by a concurrent rename in another process never shows.
 *
 * Shard keys at scale: `_id` (hashed) for both.
 */

export interface IndexedUser {
  _id: string;
  handle: string;
  displayName: string;
  revision: number;
  /** The user's words, `" a b c "`. */
  w: string;
  prefixes: string[];
  stale: string[];
}

interface PrefixEntry {
  h: string;
  w: string;
}

interface PrefixDocument {
  _id: string;
  u: Record<string, PrefixEntry>;
}

/** At most this many candidates are confirmed for one page; then the page ends early with a cursor. */
export const MAX_CANDIDATES_PER_PAGE = 200;

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

export class UserIndex {
  private constructor(
    readonly users: Collection<IndexedUser>,
    readonly prefixes: Collection<PrefixDocument>,
  ) {}

  static async open(db: Db): Promise<UserIndex> {
    return new UserIndex(db.collection<IndexedUser>('users'), db.collection<PrefixDocument>('user_prefixes'));
  }

  /** Indexes this revision of a profile unless a newer one is indexed already; idempotent. */
  async apply(userId: string, handle: string, displayName: string, revision: number): Promise<void> {
    const current = await this.users.findOne({ _id: userId });
    if (current && current.revision > revision) return;
    if (current && current.revision === revision) {
      // A replay: the new entries were written before the profile; only the cleanup may be unfinished.
      if (current.stale.length > 0) await this.#clean(userId, current.stale);
      return;
    }
    const words = userWords(handle, displayName);
    const w = joinTerms(words);
    const prefixes = prefixesOf(words);
    const key = toFieldKey(userId);
    const entry: PrefixEntry = { h: handle, w };
    await updateEach(
      this.prefixes,
      prefixes.map((prefix) => ({ filter: { _id: prefix }, update: { $set: { [`u.${key}`]: entry } }, upsert: true })),
    );
    const kept = new Set(prefixes);
    const stale = [...new Set([...(current?.prefixes ?? []), ...(current?.stale ?? [])])].filter(
      (prefix) => !kept.has(prefix),
    );
    await this.users.updateOne(
      { _id: userId },
      { $set: { handle, displayName, revision, w, prefixes, stale } },
      { upsert: true },
    );
    if (stale.length > 0) await this.#clean(userId, stale);
  }

  async #clean(userId: string, stale: readonly string[]): Promise<void> {
    const key = toFieldKey(userId);
    await updateEach(
      this.prefixes,
      stale.map((prefix) => ({ filter: { _id: prefix }, update: { $unset: { [`u.${key}`]: '' } } })),
    );
    await this.users.updateOne({ _id: userId }, { $set: { stale: [] } });
  }

  async find(userId: string): Promise<IndexedUser | null> {
    return this.users.findOne({ _id: userId });
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
    const longest = words.reduce((a, b) => ([...b].length > [...a].length ? b : a));
    const prefix = [...longest].slice(0, MAX_PREFIX_LENGTH).join('');
    const document = await this.prefixes.findOne({ _id: prefix });
    const candidates: UserHit[] = [];
    let exact: UserHit | null = null;
    for (const [key, entry] of Object.entries(document?.u ?? {})) {
      if (!matchesAll(entry.w, words)) continue;
      const hit = { id: fromFieldKey(key), handle: entry.h, exact: entry.h === handle };
      if (hit.exact) exact = hit;
      else candidates.push(hit);
    }
    candidates.sort((a, b) => (a.handle < b.handle ? -1 : a.handle > b.handle ? 1 : 0));
    let ordered: UserHit[];
    if (after === null) ordered = exact ? [exact, ...candidates] : candidates;
    else if (after.exact) ordered = candidates;
    else ordered = candidates.filter((hit) => hit.handle > after.handle);

    const hits: UserHit[] = [];
    let confirmed = 0;
    while (hits.length <= first && confirmed < ordered.length) {
      if (confirmed >= MAX_CANDIDATES_PER_PAGE) {
        const last = ordered[confirmed - 1]!;
        return { hits, resumeAt: { exact: last.exact, handle: last.handle } };
      }
      // Confirm a batch at once: about as many as the page still needs.
      const batch = ordered.slice(
        confirmed,
        confirmed + Math.min(first + 1 - hits.length + 2, MAX_CANDIDATES_PER_PAGE - confirmed),
      );
      confirmed += batch.length;
      const users = await Promise.all(batch.map((hit) => this.users.findOne({ _id: hit.id })));
      batch.forEach((hit, i) => {
        const user = users[i];
        if (user && user.handle === hit.handle && matchesAll(user.w, words)) hits.push(hit);
      });
    }
    return { hits: hits.slice(0, first + 1), resumeAt: null };
  }
}
