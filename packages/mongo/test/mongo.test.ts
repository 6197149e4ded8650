import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CommandStartedEvent, MongoClient } from 'mongodb';
import { createTestServices, type TestServices } from '@micropost/testing';
import { connectMongo, findByIds, IN_BATCH, insertMissing, updateEach } from '../src/index.ts';

let services: TestServices;
let client: MongoClient;
const commands: CommandStartedEvent[] = [];

beforeAll(async () => {
  services = await createTestServices();
  client = await connectMongo(services.mongoUrl, { onCommand: (event) => commands.push(event) });
});
afterAll(async () => {
  await client?.close();
  await services?.dispose();
});

const collection = <T extends { _id: string }>(name: string) =>
  client.db(`${services.dbPrefix}mongo`).collection<T>(name);

describe('connectMongo', () => {
  // Stock FerretDB 1.24 kept 88–111 of these 400: its updates were unisolated read-modify-writes.
  it('keeps every one of 8 clients × 50 concurrent $inc on one document', async () => {
    const clients = await Promise.all(Array.from({ length: 8 }, () => connectMongo(services.mongoUrl)));
    try {
      const name = `${services.dbPrefix}mongo`;
      await collection<{ _id: string; n: number; seen: number[] }>('counters').insertOne({ _id: 'c', n: 0, seen: [] });
      await Promise.all(
        clients.flatMap((each, c) =>
          Array.from({ length: 50 }, (_, i) =>
            each
              .db(name)
              .collection<{ _id: string; n: number; seen: number[] }>('counters')
              .updateOne({ _id: 'c' }, { $inc: { n: 1 }, $push: { seen: c * 50 + i } }),
          ),
        ),
      );
      const counter = await collection<{ _id: string; n: number; seen: number[] }>('counters').findOne({ _id: 'c' });
      expect(counter?.n).toBe(400);
      expect(new Set(counter?.seen).size).toBe(400);
    } finally {
      await Promise.all(clients.map((each) => each.close()));
    }
  });

  it('keeps every one of 8 clients × 50 concurrent findOneAndUpdate $inc', async () => {
    const clients = await Promise.all(Array.from({ length: 8 }, () => connectMongo(services.mongoUrl)));
    try {
      const name = `${services.dbPrefix}mongo`;
      await collection<{ _id: string; n: number }>('sequences').insertOne({ _id: 's', n: 0 });
      const issued = await Promise.all(
        clients.flatMap((each) =>
          Array.from({ length: 50 }, () =>
            each
              .db(name)
              .collection<{ _id: string; n: number }>('sequences')
              .findOneAndUpdate({ _id: 's' }, { $inc: { n: 1 } }, { returnDocument: 'after' }),
          ),
        ),
      );
      // Each caller saw its own number: no two read the same value before writing.
      expect(new Set(issued.map((doc) => doc?.n)).size).toBe(400);
      expect((await collection<{ _id: string; n: number }>('sequences').findOne({ _id: 's' }))?.n).toBe(400);
    } finally {
      await Promise.all(clients.map((each) => each.close()));
    }
  });
});

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
  // Stock FerretDB 1.24 hung (for every client) on an `update` command of 50 statements.
  it('applies 300 upserts, then 300 increments, each in one update command', async () => {
    const tallies = collection<{ _id: string; n: number }>('tallies');
    const ids = Array.from({ length: 300 }, (_, i) => `c${i}`);
    const sent = commands.length;
    await updateEach(
      tallies,
      ids.map((_id) => ({ filter: { _id }, update: { $inc: { n: 1 } }, upsert: true })),
    );
    await updateEach(
      tallies,
      ids.map((_id, i) => ({ filter: { _id }, update: { $inc: { n: i } } })),
    );
    const updates = commands.slice(sent).filter((event) => event.commandName === 'update');
    expect(updates.map((event) => (event.command.updates as unknown[]).length)).toEqual([300, 300]);
    const stored = await tallies.find().toArray();
    expect(stored).toHaveLength(300);
    expect(stored.every((tally) => tally.n === 1 + Number(tally._id.slice(1)))).toBe(true);
  });

  it('a bulkWrite of 300 updates completes', async () => {
    const flags = collection<{ _id: string; on: boolean }>('flags');
    await flags.insertMany(Array.from({ length: 300 }, (_, i) => ({ _id: `f${i}`, on: false })));
    const result = await flags.bulkWrite(
      Array.from({ length: 300 }, (_, i) => ({
        updateOne: { filter: { _id: `f${i}` }, update: { $set: { on: true } } },
      })),
    );
    expect(result.modifiedCount).toBe(300);
    expect(await flags.countDocuments({ on: true })).toBe(300);
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

  it('reads one $in per IN_BATCH ids', async () => {
    const items = collection<{ _id: string }>('items');
    const ids = Array.from({ length: IN_BATCH + 20 }, (_, i) => `i${i}`);
    await items.insertMany(ids.map((_id) => ({ _id })));
    const sent = commands.length;
    const found = await findByIds(items, ids);
    expect(found.map((item) => item._id).sort()).toEqual([...ids].sort());
    const finds = commands.slice(sent).filter((event) => event.commandName === 'find');
    expect(finds.map((event) => event.command.filter._id.$in.length)).toEqual([IN_BATCH, 20]);
  });
});
