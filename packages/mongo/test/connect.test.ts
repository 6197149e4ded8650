import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MongoClient } from 'mongodb';
import { createTestServices, type TestServices } from '@micropost/testing';
import { connectMongo } from '../src/index.ts';

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
    const counters = client.db(`${services.dbPrefix}mongo`).collection<{ _id: string; n: number; seen: number[] }>('counters');
    await counters.insertOne({ _id: 'c', n: 0, seen: [] });
    await Promise.all(Array.from({ length: 100 }, (_, i) => counters.updateOne({ _id: 'c' }, { $inc: { n: 1 }, $push: { seen: i } })));
    const counter = await counters.findOne({ _id: 'c' });
    expect(counter?.n).toBe(100);
    expect(counter?.seen).toHaveLength(100);
  });
});
