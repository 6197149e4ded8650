import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MongoClient } from 'mongodb';
import { createTestServices, type TestServices } from '@micropost/testing';
import { connectMongo, findByIds, insertMissing, updateEach } from '../src/index.ts';

let services: TestServices;
let client: MongoClient;

beforeAll(async () => {
  services = await createTestServices();
  client = await connectMongo(services.mongoUrl);
});
afterAll(async () => {
  await client?.close();
  await services?.dispose();
});

describe('connectMongo', () => {
  it('keeps every one of many concurrent updates to one document', async () => {
    const counters = client
      .db(`${services.dbPrefix}mongo`)
      .collection<{ _id: string; n: number; seen: number[] }>('counters');
    await counters.insertOne({ _id: 'c', n: 0, seen: [] });
    await Promise.all(
      Array.from({ length: 100 }, (_, i) => counters.updateOne({ _id: 'c' }, { $inc: { n: 1 }, $push: { seen: i } })),
    );
    const counter = await counters.findOne({ _id: 'c' });
    expect(counter?.n).toBe(100);
    expect(counter?.seen).toHaveLength(100);
  });
});

const collection = <T extends { _id: string }>(name: string) =>
  client.db(`${services.dbPrefix}mongo`).collection<T>(name);

describe('insertMissing', () => {
  it('inserts what is missing, keeps what is there, and says which it inserted', async () => {
    const entries = collection<{ _id: string; v: number }>('entries');
    await entries.insertMany([
      { _id: 'b', v: 0 },
      { _id: 'd', v: 0 },
    ]);
    const inserted = await insertMissing(
      entries,
      ['a', 'b', 'c', 'd', 'e'].map((_id) => ({ _id, v: 1 })),
    );
    expect(inserted.map((entry) => entry._id)).toEqual(['a', 'c', 'e']);
    const stored = await entries.find().sort({ _id: 1 }).toArray();
    expect(stored).toEqual([
      { _id: 'a', v: 1 },
      { _id: 'b', v: 0 },
      { _id: 'c', v: 1 },
      { _id: 'd', v: 0 },
      { _id: 'e', v: 1 },
    ]);
    expect(await insertMissing(entries, [{ _id: 'a', v: 2 }])).toEqual([]);
  });
});

describe('updateEach', () => {
  // One `update` command of this many statements wedges FerretDB 1.24 (it holds a backend
  // connection per statement until the command ends, more than its pool has); in small commands
  // they all apply.
  it('applies hundreds of upserts and increments', async () => {
    const tallies = collection<{ _id: string; n: number }>('tallies');
    const ids = Array.from({ length: 300 }, (_, i) => `c${i}`);
    await updateEach(
      tallies,
      ids.map((_id) => ({ filter: { _id }, update: { $inc: { n: 1 } }, upsert: true })),
    );
    await updateEach(
      tallies,
      ids.map((_id, i) => ({ filter: { _id }, update: { $inc: { n: i } } })),
    );
    const stored = await tallies.find().toArray();
    expect(stored).toHaveLength(300);
    expect(stored.every((tally) => tally.n === 1 + Number(tally._id.slice(1)))).toBe(true);
  });
});

describe('findByIds', () => {
  it('finds the documents among the ids that match the filter, and nothing for no ids', async () => {
    const posts = collection<{ _id: string; live: boolean }>('posts');
    await posts.insertMany(['p1', 'p2', 'p3', 'p4'].map((_id, i) => ({ _id, live: i !== 2 })));
    const found = await findByIds(posts, ['p4', 'p3', 'p1', 'missing'], { live: true });
    expect(found.map((post) => post._id).sort()).toEqual(['p1', 'p4']);
    expect(await findByIds(posts, [])).toEqual([]);
  });
});
