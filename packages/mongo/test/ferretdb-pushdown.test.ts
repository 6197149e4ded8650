import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BSON, Double, Long, ObjectId, type Collection, type Document, type Filter, type MongoClient } from 'mongodb';
import { createTestServices, type TestServices } from '@micropost/testing';
import { connectMongo } from '../src/index.ts';

// The patched FerretDB hands `_id` equality, `$in` and the top-N shape to PostgreSQL; it must still
// answer exactly as MongoDB does. A filter wrapped in `$and` is what FerretDB never pushes down (it
// evaluates it in Go over the whole collection), so it is the reference each pushed query must equal;
// a few cases also state MongoDB's answer outright.

let services: TestServices;
let client: MongoClient;
/** Any `_id` type: the point of the test. */
type Doc = { _id: any; [field: string]: unknown };
let docs: Collection<Doc>;

const oid = new ObjectId('6256c5ba0badc0ffeeffffff');
const oidHex = oid.toHexString();
/** Stable, type-revealing keys: 1, 1.0 and Long(1) differ here as they do in BSON. */
const key = (doc: Document) => BSON.EJSON.stringify(doc._id, { relaxed: false });
const ids = (found: Document[]) => found.map(key);
const timeline = Array.from({ length: 40 }, (_, i) => ({ _id: new ObjectId(), owner: i % 2 === 0 ? 'ann' : 'bob', i }));

/** Filters of any shape, _ids of any type. */
const find = (filter: Document) => docs.find(filter as Filter<Doc>);

async function pushedAndReference(filter: Document): Promise<[string[], string[]]> {
  const pushed = await find(filter).toArray();
  const reference = await find({ $and: [filter] }).toArray();
  return [ids(pushed).sort(), ids(reference).sort()];
}

beforeAll(async () => {
  services = await createTestServices();
  client = await connectMongo(services.mongoUrl);
  docs = client.db(`${services.dbPrefix}pushdown`).collection<Doc>('docs');
  await docs.createIndex({ owner: 1, _id: -1 });
  await docs.createIndex({ n: 1 });
  await docs.createIndex({ ref: 1 });
  // Not an ObjectId and the string of its hex digits as two `_id`s: FerretDB stores both as the
  // same jsonb string, so its unique index refuses the pair (see the hex-_id test for that case).
  await docs.insertMany([
    { _id: oid, owner: 'ann', n: 1, ref: oid },
    { _id: 'sid', owner: 'ann', n: new Double(1), ref: oidHex },
    { _id: 1, owner: 'ann', n: Long.fromNumber(1) },
    { _id: new Double(2.5), owner: 'ann', n: '1' },
    { _id: Long.fromNumber(3), owner: ['ann', 'bob'], n: 2 },
    { _id: 'ünïcödé', owner: 'ANN', n: null },
    { _id: '日本', owner: oid, tags: ['x', 'y'] },
    { _id: 'a', owner: null, tags: 'x' },
    { _id: 'b', tags: ['y'] },
    { _id: { k: 'a' }, owner: 'bob', n: [1, 5] },
    ...timeline,
    ...Array.from({ length: 10 }, (_, i) => ({ _id: `s${i}`, owner: 'ann', i })),
  ]);
  // Newest of all, with `owner` an array: a top-N must not lose it to the string-only ordered part.
  await docs.insertOne({ _id: new ObjectId(), owner: ['ann'], newest: true });
});
afterAll(async () => {
  await client?.close();
  await services?.dispose();
});

describe('pushed-down filters give MongoDB results', () => {
  it.each([
    ['ObjectId _id', { _id: oid }],
    ['string _id that looks like an ObjectId', { _id: oidHex }],
    ['ObjectId in an indexed field', { ref: oid }],
    ['string that looks like an ObjectId in an indexed field', { ref: oidHex }],
    ['$in of an ObjectId and its hex string', { ref: { $in: [oid, oidHex] } }],
    ['int _id', { _id: 1 }],
    ['double _id equal to an int', { _id: new Double(1) }],
    ['Long _id', { _id: Long.fromNumber(3) }],
    ['non-ASCII _id', { _id: 'ünïcödé' }],
    ['CJK _id', { _id: '日本' }],
    ['$eq _id', { _id: { $eq: 'a' } }],
    ['document _id', { _id: { k: 'a' } }],
    ['missing _id', { _id: 'nope' }],
    ['$in of mixed _ids', { _id: { $in: [oid, oidHex, 1, '日本', 'nope', 'sid'] } }],
    ['$in of numbers 1, 1.0, Long', { n: { $in: [1, new Double(1), Long.fromNumber(1)] } }],
    ['$in with null', { owner: { $in: ['ann', null] } }],
    ['$in with a regex', { owner: { $in: [/^an/] } }],
    ['$in on an array field', { tags: { $in: ['x'] } }],
    ['$in into an array value', { n: { $in: [5] } }],
    ['empty $in', { _id: { $in: [] } }],
    ['equality on an array element', { tags: 'x' }],
    ['equality on a string field', { owner: 'ann' }],
    ['equality and $in', { owner: 'ann', _id: { $in: [oid, oidHex, 1, 'sid'] } }],
  ] as [string, Document][])('%s', async (_name, filter) => {
    const [pushed, reference] = await pushedAndReference(filter);
    expect(pushed).toEqual(reference);
  });

  it('matches what MongoDB answers on the edge cases', async () => {
    expect(ids(await find({ _id: oidHex }).toArray())).toEqual([]);
    expect(ids(await find({ _id: oid }).toArray())).toEqual([key({ _id: oid })]);
    expect(ids(await find({ _id: new Double(1) }).toArray())).toEqual([key({ _id: 1 })]);
    expect(ids(await find({ ref: oidHex }).toArray())).toEqual([key({ _id: 'sid' })]);
    expect(ids(await find({ ref: { $in: [oid] } }).toArray())).toEqual([key({ _id: oid })]);
    const ones = await find({ n: { $in: [1] } }).toArray();
    expect(ids(ones).sort()).toEqual([oid, 'sid', 1, { k: 'a' }].map((_id) => key({ _id })).sort());
    const annOrNull = await find({ owner: { $in: ['ann', null] }, i: { $exists: false } }).toArray();
    // null matches a missing field and null; 'ann' matches inside arrays; 'ANN' and the ObjectId owner
    // do not. (The driver reads the Long _id 3 back as a number.)
    expect(ids(annOrNull).sort()).toEqual(
      [oid, 'sid', 1, new Double(2.5), 3, 'a', 'b']
        .map((_id) => key({ _id }))
        .concat(ids(await find({ newest: true }).toArray()))
        .sort(),
    );
  });
});

describe('a string _id that looks like an ObjectId', () => {
  it('is found by the string, not by the ObjectId', async () => {
    const hex = client.db(`${services.dbPrefix}pushdown`).collection<Doc>('hex');
    await hex.insertMany([{ _id: oidHex }, { _id: 'other' }]);
    const found = async (filter: Document) => ids(await hex.find(filter as Filter<Doc>).toArray());
    expect(await found({ _id: oid })).toEqual([]);
    expect(await found({ _id: oidHex })).toEqual([key({ _id: oidHex })]);
    expect(await found({ _id: { $in: [oid, oidHex] } })).toEqual([key({ _id: oidHex })]);
    expect(await found({ _id: { $in: [oid] } })).toEqual([]);
  });
});

describe('top-N pages ordered as Go orders them', () => {
  it.each([
    ['newest 5', { owner: 'ann' }, { _id: -1 }, 5, 0],
    ['oldest 5', { owner: 'ann' }, { _id: 1 }, 5, 0],
    ['all of them', { owner: 'ann' }, { _id: -1 }, 100, 0],
    ['skip 3, then 4', { owner: 'ann' }, { _id: -1 }, 4, 3],
    ['after an ObjectId', { owner: 'ann', _id: { $lt: timeline[20]!._id } }, { _id: -1 }, 5, 0],
    ['after an old ObjectId', { owner: 'ann', _id: { $lte: oid } }, { _id: -1 }, 5, 0],
    ['after a string', { owner: 'ann', _id: { $lt: 's5' } }, { _id: -1 }, 5, 0],
    ['before a string', { owner: 'ann', _id: { $gt: 's5' } }, { _id: 1 }, 3, 0],
    ['other owner', { owner: 'bob' }, { _id: -1 }, 5, 0],
    ['no such owner', { owner: 'zed' }, { _id: -1 }, 5, 0],
  ] as [string, Document, Record<string, 1 | -1>, number, number][])('%s', async (_name, filter, sort, limit, skip) => {
    const pushed = await find(filter).sort(sort).skip(skip).limit(limit).toArray();
    const reference = await find({ $and: [filter] })
      .sort(sort)
      .skip(skip)
      .limit(limit)
      .toArray();
    expect(ids(pushed)).toEqual(ids(reference));
    expect(pushed.length).toBeGreaterThan(filter.owner === 'zed' || _name.includes('old') ? -1 : 0);
  });

  it('puts the newest document first even when its owner is an array', async () => {
    const [first] = await find({ owner: 'ann' }).sort({ _id: -1 }).limit(1).toArray();
    expect(first?.newest).toBe(true);
  });
});
