import { BadUserInputError } from './errors.ts';

/** Where a page ends in a newest-first list: the item's time, then its id to break ties. */
export interface CursorPosition {
  readonly at: Date;
  readonly id: string;
}

export interface Page {
  /** Items to return (the query fetches one more to learn whether there is a next page). */
  readonly first: number;
  /** Return only items strictly older than this position; null for the first page. */
  readonly after: CursorPosition | null;
}

export const MAX_PAGE_SIZE = 100;

/** Opaque to clients; base64url of `[epochMillis, id]`. */
export function encodeCursor({ at, id }: CursorPosition): string {
  return Buffer.from(JSON.stringify([at.getTime(), id])).toString('base64url');
}

export function decodeCursor(cursor: string): CursorPosition {
  try {
    const [millis, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (Number.isSafeInteger(millis) && typeof id === 'string' && id.length > 0 && id.length <= 200)
      return { at: new Date(millis as number), id };
  } catch {
    // reported below
  }
  throw new BadUserInputError('That cursor is not valid: pass an endCursor or cursor from a previous page.');
}

/** Validates Relay arguments: `first` within 1–100, `after` a cursor this API issued. */
export function readPage(args: { first?: number | null; after?: string | null }): Page {
  const first = args.first ?? 20;
  if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE_SIZE)
    throw new BadUserInputError(`first must be between 1 and ${MAX_PAGE_SIZE}.`);
  return { first, after: args.after == null ? null : decodeCursor(args.after) };
}

/**
 * Mongo filter for "older than `after`" in (time desc, id desc) order. Keyset pagination: pages
 * stay correct while new items are written (they sort before the cursor), unlike skip/offset.
 */
export function olderThan<Id>(
  after: CursorPosition | null,
  fields: { at: string; id: string },
  toId: (id: string) => Id | null,
): Record<string, unknown> {
  if (after === null) return {};
  const id = toId(after.id);
  if (id === null)
    throw new BadUserInputError('That cursor is not valid: pass an endCursor or cursor from a previous page.');
  return { $or: [{ [fields.at]: { $lt: after.at } }, { [fields.at]: after.at, [fields.id]: { $lt: id } }] };
}

export interface Connection<Node> {
  edges: { cursor: string; node: Node }[];
  pageInfo: { endCursor: string | null; hasNextPage: boolean };
}

/** Builds a connection from up to `first + 1` items fetched in page order. */
export function toConnection<Item, Node = Item>(
  items: readonly Item[],
  page: Page,
  positionOf: (item: Item) => CursorPosition,
  nodeOf: (item: Item) => Node = (item) => item as unknown as Node,
): Connection<Node> {
  const edges = items
    .slice(0, page.first)
    .map((item) => ({ cursor: encodeCursor(positionOf(item)), node: nodeOf(item) }));
  return { edges, pageInfo: { endCursor: edges.at(-1)?.cursor ?? null, hasNextPage: items.length > page.first } };
}
