import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import { startFerretDB } from '@micropost/infra';
const ferret = await startFerretDB({ dataDir: join(mkdtempSync(join(tmpdir(), 'fp-')), 'db'), log: () => {} });
const client = new MongoClient(ferret.url, { maxPoolSize: 1 });
await client.connect();
const c = client.db('probe').collection<any>('c');
await c.createIndex({ ownerId: 1, createdAt: -1 });
const time = async (name: string, f: () => Promise<unknown>, n = 20) => {
  const t = performance.now();
  for (let i = 0; i < n; i++) await f();
  console.log(name.padEnd(40), ((performance.now() - t) / n).toFixed(2), 'ms');
};
let total = 0;
for (const size of [1000, 10000, 50000]) {
  const docs = Array.from({ length: size - total }, (_, k) => {
    const i = total + k;
    return { _id: `o${i % 500}/p${i}`, ownerId: `o${i % 500}`, postId: `p${i}`, createdAt: new Date(i * 1000) };
  });
  const t = performance.now();
  for (let s = 0; s < docs.length; s += 1000) await c.insertMany(docs.slice(s, s + 1000));
  console.log(`insert ${docs.length}: ${(((performance.now() - t) / docs.length) * 1000).toFixed(0)} µs/doc`);
  total = size;
  console.log(`--- ${size} docs`);
  await time('find _id eq', () => c.findOne({ _id: 'o3/p503' }));
  await time('find ownerId sorted limit 20', () =>
    c.find({ ownerId: 'o3' }).sort({ createdAt: -1 }).limit(20).toArray(),
  );
  await time('find postId eq', () => c.find({ postId: 'p77' }).toArray());
  await time(
    'upsert fields bulk 100',
    () =>
      c.bulkWrite(
        Array.from({ length: 100 }, (_, i) => ({
          updateOne: {
            filter: { ownerId: `o${i}`, postId: `q${i}` },
            update: { $setOnInsert: { a: 1 } },
            upsert: true,
          },
        })),
      ),
    3,
  );
  await time(
    'upsert _id bulk 100',
    () =>
      c.bulkWrite(
        Array.from({ length: 100 }, (_, i) => ({
          updateOne: { filter: { _id: `o${i}/q${i}` }, update: { $setOnInsert: { a: 1 } }, upsert: true },
        })),
      ),
    3,
  );
}
await client.close();
await ferret.stop();
