import { it } from 'vitest';
import { MongoClient } from 'mongodb';
import { createLogger } from '@micropost/logger';
import { createEvent } from '@micropost/events';
import { createTestServices } from '@micropost/testing';
import { FeedEventLog } from '../src/event-log.ts';
import { FeedProjector } from '../src/event-handlers.ts';
import { AuthorPostProjection, FollowerProjection } from '../src/projections.ts';
import { TimelineStore } from '../src/timeline-store.ts';
import { newId, postData } from './support.ts';

it('bench', { timeout: 300_000 }, async () => {
  const services = await createTestServices();
  const client = new MongoClient(services.mongoUrl, { maxPoolSize: 1, monitorCommands: true });
  const times = new Map<string, [number, number]>();
  const started = new Map<number, [string, number]>();
  client.on('commandStarted', (e) => started.set(e.requestId, [e.commandName, performance.now()]));
  client.on('commandSucceeded', (e) => { const s = started.get(e.requestId); if (!s) return; const t = times.get(s[0]) ?? [0, 0]; t[0]++; t[1] += performance.now() - s[1]; times.set(s[0], t); });
  await client.connect();
  const db = client.db(`${services.dbPrefix}feed`);
  const timelines = await TimelineStore.open(db);
  const projector = new FeedProjector({ timelines, followers: await FollowerProjection.open(db), authorPosts: await AuthorPostProjection.open(db), log: await FeedEventLog.open(db), afterRelease: () => {}, logger: createLogger('t', 'silent') });
  const author = newId();
  await projector.handle(createEvent('follow.created', { followerId: newId(), followeeId: author, createdAt: new Date().toISOString() }));
  for (const n of [100, 300, 500]) {
    times.clear();
    const t0 = performance.now();
    for (let i = 0; i < n; i++) await projector.handle(createEvent('post.created', postData(author, i)));
    console.log(n, 'events', Math.round(performance.now() - t0), 'ms', JSON.stringify([...times].map(([k, [c, ms]]) => [k, c, Math.round(ms / c * 10) / 10])));
  }
  await client.close();
  await services.dispose();
});
