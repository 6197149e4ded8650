import {
  BadUserInputError,
  decodeKeyset,
  encodeKeyset,
  INVALID_CURSOR,
  readPage,
  type CursorPosition,
} from '@micropost/server';

/**
 * A position in a home timeline: the entry's post time and id (keyset pagination, so pages stay
 * right while posts are added) and its rank in this walk through the feed, so that no walk goes
 * past the cap even while a timeline briefly holds up to cap + slack entries. Opaque to clients:
 * the keyset `[epochMillis, postId, rank]`.
 */
export interface FeedCursor extends CursorPosition {
  readonly rank: number;
}

export interface FeedPage {
  readonly first: number;
  readonly after: FeedCursor | null;
}

export function encodeFeedCursor({ at, id, rank }: FeedCursor): string {
  return encodeKeyset([at.getTime(), id, rank]);
}

/** Validates `first` (1–100) and `after` (a cursor this subgraph issued); BAD_USER_INPUT otherwise. */
export function readFeedPage(args: { first?: number | null; after?: string | null }): FeedPage {
  const page = readPage(args);
  if (page.after === null || args.after == null) return { first: page.first, after: null };
  const rank = decodeKeyset(args.after)[2];
  if (!Number.isSafeInteger(rank) || (rank as number) < 1) throw new BadUserInputError(INVALID_CURSOR);
  return { first: page.first, after: { ...page.after, rank: rank as number } };
}
