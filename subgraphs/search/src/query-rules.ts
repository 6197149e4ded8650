import { BadUserInputError, decodeKeyset, encodeKeyset, MAX_PAGE_SIZE, requireText } from '@micropost/server';
import { handleOf, postQueryTerms, userQueryWords } from './tokenize.ts';

export const MAX_QUERY_LENGTH = 100;
export const MAX_QUERY_WORDS = 8;

function checkQuery(query: string): string {
  const text = requireText(query, { name: 'A search query', min: 0, max: MAX_QUERY_LENGTH });
  if (text === '') throw new BadUserInputError('The search query is empty: give at least one word.');
  return text;
}

function checkTerms(terms: string[]): string[] {
  if (terms.length === 0)
    throw new BadUserInputError('The search query has no words: give at least one letter or digit.');
  if (terms.length > MAX_QUERY_WORDS)
    throw new BadUserInputError(`A search query has at most ${MAX_QUERY_WORDS} words.`);
  return terms;
}

export interface PostQuery {
  /** Every one must be among the post's terms. */
  readonly terms: string[];
}

export function readPostQuery(query: string): PostQuery {
  return { terms: checkTerms(postQueryTerms(checkQuery(query))) };
}

export interface UserQuery {
  /** Every one must be a prefix of one of the user's words. */
  readonly words: string[];
  /** The query read as a handle (ranked first when it exists), or null. */
  readonly handle: string | null;
}

export function readUserQuery(query: string): UserQuery {
  const trimmed = checkQuery(query);
  return { words: checkTerms(userQueryWords(trimmed)), handle: handleOf(trimmed) };
}

export function readFirst(first: number | null | undefined): number {
  const value = first ?? 20;
  if (!Number.isInteger(value) || value < 1 || value > MAX_PAGE_SIZE)
    throw new BadUserInputError(`first must be between 1 and ${MAX_PAGE_SIZE}.`);
  return value;
}

// Cursors are keysets tagged with what they page through, so a posts cursor given to searchUsers
// (or garbage) is refused.

const INVALID_CURSOR = 'That cursor is not valid: pass an endCursor or cursor from a previous page of the same search.';

/** A place in newest-first post order: strictly older than `(t, id)` comes next. `id` "" means "everything before time t". */
export interface PostPosition {
  readonly t: number;
  readonly id: string;
}

export function encodePostCursor({ t, id }: PostPosition): string {
  return encodeKeyset(['p', t, id]);
}

export function decodePostCursor(cursor: string | null | undefined): PostPosition | null {
  if (cursor == null) return null;
  const [tag, t, id] = decodeKeyset(cursor, INVALID_CURSOR);
  if (tag === 'p' && Number.isSafeInteger(t) && typeof id === 'string' && id.length <= 200)
    return { t: t as number, id };
  throw new BadUserInputError(INVALID_CURSOR);
}

/**
 * A place in user ranking order: the exact-handle match (`exact: true`) first, then the others by
 * handle; what comes next is after `handle` (or, after the exact match, the others from the start).
 */
export interface UserPosition {
  readonly exact: boolean;
  readonly handle: string;
}

export function encodeUserCursor({ exact, handle }: UserPosition): string {
  return encodeKeyset(['u', exact ? 0 : 1, handle]);
}

export function decodeUserCursor(cursor: string | null | undefined): UserPosition | null {
  if (cursor == null) return null;
  const [tag, phase, handle] = decodeKeyset(cursor, INVALID_CURSOR);
  if (tag === 'u' && (phase === 0 || phase === 1) && typeof handle === 'string' && handle.length <= 200)
    return { exact: phase === 0, handle };
  throw new BadUserInputError(INVALID_CURSOR);
}
