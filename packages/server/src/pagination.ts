import type { Collection, Document, Filter, WithId } from 'mongodb';
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

export const INVALID_CURSOR = 'That cursor is not valid: pass an endCursor or cursor from a previous page.';

/**
 * A keyset cursor: the sort key of the last item of a page, as a small tuple of plain values.
 * Opaque to clients: base64url of its JSON. Every cursor of the API is one of these.
 */
export function encodeKeyset(values: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(values)).toString('base64url');
}

/** The tuple inside a cursor this API issued; BAD_USER_INPUT (with `message`) for anything else. */
export function decodeKeyset(cursor: string, message = INVALID_CURSOR): unknown[] {
  try {
    const values: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(values)) return values;
  } catch {
    // reported below
  }
  throw new BadUserInputError(message);
}

/** `[epochMillis, id]`. */
export function encodeCursor({ at, id }: CursorPosition): string {
  return encodeKeyset([at.getTime(), id]);
}

export function decodeCursor(cursor: string): CursorPosition {
  const [millis, id] = decodeKeyset(cursor);
  if (Number.isSafeInteger(millis) && typeof id === 'string' && id.length > 0 && id.length <= 200)
    return { at: new Date(millis as number), id };
  throw new BadUserInputError(INVALID_CURSOR);
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
  if (id === null) throw new BadUserInputError(INVALID_CURSOR);
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

/** A page of one parent's list (`User.followers`, `User.posts`): what a list field's DataLoader is keyed by. */
export interface PageRequest {
  readonly parentId: string;
  readonly page: Page;
}

/** DataLoader cache key: the same list with the same arguments loads once per request. */
export const pageRequestKey = ({ parentId, page }: PageRequest): string =>
  `${parentId} ${page.first} ${page.after === null ? '' : encodeCursor(page.after)}`;

/**
 * A DataLoader batch function for a list field under many parents: one `load` per distinct page
 * arguments in the batch (usually one: sibling fields share their arguments), with the parents'
 * ids; `load` returns their lists in the same order.
 */
export function batchPageRequests<Item>(
  load: (parentIds: string[], page: Page) => Promise<Item[][]>,
): (requests: readonly PageRequest[]) => Promise<Item[][]> {
  return async (requests) => {
    const groups = new Map<string, { page: Page; parentIds: string[] }>();
    for (const request of requests) {
      const key = pageRequestKey({ parentId: '', page: request.page });
      const group = groups.get(key) ?? { page: request.page, parentIds: [] };
      group.parentIds.push(request.parentId);
      groups.set(key, group);
    }
    const lists = new Map<string, Item[]>();
    await Promise.all(
      [...groups].map(async ([key, { page, parentIds }]) => {
        const loaded = await load(parentIds, page);
        for (const [i, parentId] of parentIds.entries()) lists.set(`${parentId} ${key}`, loaded[i] ?? []);
      }),
    );
    return requests.map(
      (request) => lists.get(`${request.parentId} ${pageRequestKey({ parentId: '', page: request.page })}`) ?? [],
    );
  };
}

/**
 * Options for a list field's DataLoader: keyed by parent and page arguments, at most 100 parents
 * per batch (the longest `$in` the patched FerretDB hands to PostgreSQL).
 */
export const PAGE_LOADER_OPTIONS = { cacheKeyFn: pageRequestKey, maxBatchSize: 100 } as const;

/** Rows one batched list query may return; parents it did not reach get a query each (see findPagesByParent). */
export const MAX_BATCH_ROWS = 2000;

export interface PagesByParentQuery<Parent> {
  /** The field naming the parent (`authorId`, `followeeId`): the first key of the list's index. */
  readonly parentField: string;
  readonly parents: readonly Parent[];
  /** String form of a parent, whose order is the database's (hex for ObjectIds, ASCII ids as they are). */
  readonly keyOf: (parent: Parent) => string;
  /** What the list filters on besides the parent (tombstones, the cursor). */
  readonly filter: Record<string, unknown>;
  /** The list's order after the parent, e.g. `{ createdAt: -1, _id: -1 }`. */
  readonly sort: Record<string, 1 | -1>;
  /** Items wanted per parent (a page's `first + 1`). */
  readonly perParent: number;
}

/**
 * The first `perParent` items of each parent's list, in one query: `$in` on the parents, sorted
 * by parent and then the list's order (the list's index, read in order), limited to
 * parents × perParent rows and at most MAX_BATCH_ROWS; the rows are cut per parent here. A parent
 * whose list is long takes more than its share, so when the limit is hit the parents from the
 * last row's on may be short: each of those gets its own query (an index range of `perParent`).
 * Worst case one query per parent, each bounded; with lists no longer than a page, one query.
 * Results line up with `parents`.
 */
export async function findPagesByParent<T extends Document, Parent>(
  collection: Collection<T>,
  query: PagesByParentQuery<Parent>,
): Promise<WithId<T>[][]> {
  const { parentField, parents, keyOf, filter, sort, perParent } = query;
  const unique = [...new Map(parents.map((parent) => [keyOf(parent), parent])).values()];
  const pages = new Map<string, WithId<T>[]>(unique.map((parent) => [keyOf(parent), []]));
  if (unique.length === 0) return [];
  const pageOf = (parent: Parent) =>
    collection
      .find({ ...filter, [parentField]: parent } as Filter<T>)
      .sort(sort)
      .limit(perParent)
      .toArray();
  // One parent (the usual top-level list): equality, the shape every backend serves best.
  if (unique.length === 1) pages.set(keyOf(unique[0]!), await pageOf(unique[0]!));
  else {
    const limit = Math.min(unique.length * perParent, MAX_BATCH_ROWS);
    const rows = await collection
      .find({ ...filter, [parentField]: { $in: unique } } as Filter<T>)
      .sort({ [parentField]: 1, ...sort })
      .limit(limit)
      .toArray();
    for (const row of rows) {
      const page = pages.get(keyOf(row[parentField] as Parent));
      if (page && page.length < perParent) page.push(row);
    }
    if (rows.length === limit) {
      const last = keyOf(rows.at(-1)![parentField] as Parent);
      const unserved = unique.filter((parent) => keyOf(parent) >= last && pages.get(keyOf(parent))!.length < perParent);
      await Promise.all(unserved.map(async (parent) => pages.set(keyOf(parent), await pageOf(parent))));
    }
  }
  return parents.map((parent) => pages.get(keyOf(parent))!);
}
