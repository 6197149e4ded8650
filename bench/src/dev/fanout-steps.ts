// Development aid: time of each step of one post's fan-out to 10,000 followers, on a fresh FerretDB
// (or MONGO_URL). Not part of `npm run bench`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import { startFerretDB } from '@micropost/infra';
import { FollowerProjection } from '../../../subgraphs/feed/src/projections.ts';
import { TimelineStore } from '../../../subgraphs/feed/src/timeline-store.ts';

const dir = mkdtempSync(join(tmpdir(), 'fanout-steps-'));
const ferret = await startFerretDB({ dataDir: dir, log: () => {} });
const client = new MongoClient(ferret.url);
try {
  const db = client.db('fanout');
  const timelines = await TimelineStore.open(db);
  const followers = await FollowerProjection.open(db);
  const ids = Array.from({ length: 10_000 }, (_, i) => `user${String(i).padStart(6, '0')}`);
  for (let s = 0; s < ids.length; s += 1000)
    await followers.followers.insertMany(
      ids.slice(s, s + 1000).map((id) => ({
        _id: `author/${id}`,
        followeeId: 'author',
        followerId: id,
        active: true,
        since: new Date(),
        changedAt: new Date(),
        changeId: 'e',
      })),
    );
  for (let post = 0; post < 3; post++) {
    const t = { read: 0, add: 0, among: 0 };
    const createdAt = new Date(Date.now() + post);
    let mark = performance.now();
    let chunk: string[] = [];
    const flush = async () => {
      t.read += performance.now() - mark;
      let m = performance.now();
      await timelines.add(chunk.map((ownerId) => ({ ownerId, postId: `p${post}`, authorId: 'author', createdAt })));
      t.add += performance.now() - m;
      m = performance.now();
      await followers.activeAmong('author', chunk);
      t.among += performance.now() - m;
      chunk = [];
      mark = performance.now();
    };
    const t0 = performance.now();
    for await (const id of followers.activeFollowers('author', 1000)) {
      chunk.push(id);
      if (chunk.length === 1000) await flush();
    }
    const total = performance.now() - t0;
    const m = performance.now();
    await timelines.trimPending(100);
    const trim = performance.now() - m;
    console.log(
      `post ${post}: total ${total.toFixed(0)} ms — follower pages ${t.read.toFixed(0)}, inserts ${t.add.toFixed(0)}, activeAmong ${t.among.toFixed(0)}; trimPending afterwards ${trim.toFixed(0)} ms`,
    );
  }
} finally {
  await client.close();
  await ferret.stop();
  rmSync(dir, { recursive: true, force: true });
}
