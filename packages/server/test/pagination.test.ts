import { describe, expect, it } from 'vitest';
import {
  batchPageRequests,
  decodeCursor,
  decodeKeyset,
  encodeCursor,
  encodeKeyset,
  olderThan,
  pageRequestKey,
  readPage,
  toConnection,
  type Page,
} from '../src/pagination.ts';

describe('pagination', () => {
  it('round-trips a cursor', () => {
    const position = { at: new Date('2026-11-29T10:15:00.123Z'), id: 'abc' };
    expect(decodeCursor(encodeCursor(position))).toEqual(position);
  });

  it.each(['', 'garbage', Buffer.from('[1,2]').toString('base64url'), Buffer.from('{"a":1}').toString('base64url')])(
    'refuses the cursor %j with BAD_USER_INPUT',
    (cursor) => {
      expect(() => decodeCursor(cursor)).toThrow(expect.objectContaining({ extensions: { code: 'BAD_USER_INPUT' } }));
    },
  );

  it('bounds first to 1–100 and defaults it to 20', () => {
    expect(readPage({}).first).toBe(20);
    expect(readPage({ first: 100 }).first).toBe(100);
    for (const first of [0, -1, 101]) expect(() => readPage({ first })).toThrow(/between 1 and 100/);
  });

  it('filters strictly older items, breaking time ties by id', () => {
    const at = new Date(5);
    expect(olderThan({ at, id: 'b' }, { at: 'createdAt', id: '_id' }, (id) => id)).toEqual({
      $or: [{ createdAt: { $lt: at } }, { createdAt: at, _id: { $lt: 'b' } }],
    });
    expect(olderThan(null, { at: 'createdAt', id: '_id' }, (id) => id)).toEqual({});
  });

  it('reports a next page only when one more item was fetched', () => {
    const items = [1, 2, 3].map((n) => ({ n, at: new Date(n), id: String(n) }));
    const full = toConnection(
      items,
      { first: 2, after: null },
      (item) => item,
      (item) => item.n,
    );
    expect(full.edges.map((edge) => edge.node)).toEqual([1, 2]);
    expect(full.pageInfo).toEqual({ endCursor: full.edges[1]!.cursor, hasNextPage: true });
    const last = toConnection(items.slice(0, 2), { first: 2, after: null }, (item) => item);
    expect(last.pageInfo.hasNextPage).toBe(false);
    expect(toConnection([], { first: 2, after: null }, (item: (typeof items)[number]) => item).pageInfo).toEqual({
      endCursor: null,
      hasNextPage: false,
    });
  });

  it('round-trips any keyset, and refuses what is not one with the given message', () => {
    expect(decodeKeyset(encodeKeyset(['p', 12, 'abc']))).toEqual(['p', 12, 'abc']);
    expect(() => decodeKeyset('garbage', 'not from this search')).toThrow('not from this search');
    expect(() => decodeKeyset(Buffer.from('{"a":1}').toString('base64url'))).toThrow(/cursor is not valid/);
  });

  it('loads a list field for many parents with one call per distinct page arguments', async () => {
    const calls: { parentIds: string[]; page: Page }[] = [];
    const batch = batchPageRequests(async (parentIds: string[], page: Page) => {
      calls.push({ parentIds, page });
      return parentIds.map((id) => [`${id}:${page.first}`]);
    });
    const after = { at: new Date(7), id: 'x' };
    const requests = [
      { parentId: 'a', page: { first: 2, after: null } },
      { parentId: 'b', page: { first: 2, after: null } },
      { parentId: 'a', page: { first: 5, after } },
    ];
    expect(await batch(requests)).toEqual([['a:2'], ['b:2'], ['a:5']]);
    expect(calls).toEqual([
      { parentIds: ['a', 'b'], page: { first: 2, after: null } },
      { parentIds: ['a'], page: { first: 5, after } },
    ]);
    expect(pageRequestKey(requests[0]!)).not.toBe(pageRequestKey(requests[2]!));
  });
});
