import { it } from 'vitest';
import { MongoClient } from 'mongodb';
import { createTestServices } from '@micropost/testing';

it('bench', { timeout: 300_000 }, async () => {
  const services = await createTestServices();
  const client = new MongoClient(services.mongoUrl, { maxPoolSize: 1 });
  await client.connect();
  const c = client.db(`${services.dbPrefix}x`).collection<any>('c');
  await c.createIndex({ ownerId: 1, createdAt: -1 });
  const docs = Array.from({ length: 5000 }, (_, i) => ({ _id: `o${i % 50}/p${i}`, ownerId: `o${i % 50}`, postId: `p${i}`, createdAt: new Date(i * 1000) }));
  await c.insertMany(docs);
  const time = async (name: string, f: () => Promise<unknown>) => { const t = performance.now(); for (let i = 0; i < 20; i++) await f(); console.log(name, ((performance.now() - t) / 20).toFixed(2), 'ms'); };
  await time('find _id eq', () => c.findOne({ _id: 'o3/p53' }));
  await time('find _id $in 10', () => c.find({ _id: { $in: Array.from({ length: 10 }, (_, i) => `o${i}/p${i}`) } }).toArray());
  await time('find ownerId eq', () => c.find({ ownerId: 'o3' }).toArray());
  await time('find ownerId sorted limit 20', () => c.find({ ownerId: 'o3' }).sort({ createdAt: -1 }).limit(20).toArray());
  await time('find postId eq', () => c.find({ postId: 'p77' }).toArray());
  await time('count _id', () => c.countDocuments({ _id: 'o3/p53' }, { limit: 1 }));
  await time('updateOne _id', () => c.updateOne({ _id: 'o3/p53' }, { $set: { x: 1 } }));
  await time('updateOne ownerId+postId', () => c.updateOne({ ownerId: 'o3', postId: 'p53' }, { $set: { x: 1 } }));
  await time('upsert _id bulk 10', () => c.bulkWrite(Array.from({ length: 10 }, (_, i) => ({ updateOne: { filter: { _id: `o${i}/p${i}` }, update: { $setOnInsert: { a: 1 } }, upsert: true } }))));
  await time('upsert fields bulk 10', () => c.bulkWrite(Array.from({ length: 10 }, (_, i) => ({ updateOne: { filter: { ownerId: `o${i}`, postId: `p${i}` }, update: { $setOnInsert: { a: 1 } }, upsert: true } }))));
  await time('deleteMany _id $in (none)', () => c.deleteMany({ _id: { $in: ['zz', 'yy'] } }));
  await time('deleteMany postId (none)', () => c.deleteMany({ postId: 'zz' }));
  await client.close();
  await services.dispose();
});
