import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MongoClient } from 'mongodb';
import { createTestServices, type TestServices } from '@micropost/testing';
import { connectMongo, insertIfAbsent, upsertOne } from '../src/index.ts';

let services: TestServices;
let client: MongoClient;

beforeAll(async () => {
  services = await createTestServices();
  // The process's client as the app opens it (on stock FerretDB 1.x, concurrent updates of one
  // document from several connections lose writes, which is not what these tests are about).
  client = await connectMongo(services.mongoUrl);
});
afterAll(async () => {
  await client?.close();
  await services?.dispose();
});

const collection = (name: string) =>
  client.db(`${services.dbPrefix}duplicate_key`).collection<{ _id: string; n?: number; v?: string }>(name);

describe('insertIfAbsent', () => {
  it('inserts once, then says the key is taken and leaves the document as it was', async () => {
    const things = collection('things');
    expect(await insertIfAbsent(things, { _id: 'a', v: 'first' })).toBe(true);
    expect(await insertIfAbsent(things, { _id: 'a', v: 'second' })).toBe(false);
    expect(await things.findOne({ _id: 'a' })).toEqual({ _id: 'a', v: 'first' });
  });

  it('also reports a taken key of another unique index', async () => {
    const handles = collection('handles');
    await handles.createIndex({ v: 1 }, { unique: true });
    expect(await insertIfAbsent(handles, { _id: 'a', v: 'alice' })).toBe(true);
    expect(await insertIfAbsent(handles, { _id: 'b', v: 'alice' })).toBe(false);
  });
});

describe('upsertOne', () => {
  it('creates the document once and applies every concurrent change to it', async () => {
    const counters = collection('counters');
    await Promise.all(Array.from({ length: 20 }, () => upsertOne(counters, { _id: 'c' }, { $inc: { n: 1 } })));
    expect(await counters.countDocuments({ _id: 'c' })).toBe(1);
    // Every upsert that lost the race to insert was applied as an update instead, not dropped.
    expect((await counters.findOne({ _id: 'c' }))?.n).toBe(20);
  });

  it('changes nothing when the filter excludes the existing document', async () => {
    const versions = collection('versions');
    await versions.insertOne({ _id: 'v', n: 5 });
    await upsertOne(versions, { _id: 'v', n: { $lt: 3 } }, { $set: { n: 3 } });
    expect(await versions.findOne({ _id: 'v' })).toEqual({ _id: 'v', n: 5 });
  });
});
