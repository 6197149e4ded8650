import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MongoClient } from 'mongodb';
import { createTestServices, type TestServices } from '@micropost/testing';
import { FollowerProjection } from '../src/projections.ts';
import { newId } from './support.ts';

let services: TestServices;
let client: MongoClient;
let followers: FollowerProjection;

beforeAll(async () => {
  services = await createTestServices();
  client = new MongoClient(services.mongoUrl, { maxPoolSize: 2 });
  await client.connect();
  followers = await FollowerProjection.open(client.db(`${services.dbPrefix}feed`));
});
afterAll(async () => {
  await client?.close();
  await services?.dispose();
});

const follow = (followeeId: string, followerId: string, active: boolean, at: number) =>
  followers.record({
    followeeId,
    followerId,
    active,
    since: active ? new Date(at) : null,
    at: new Date(at),
    eventId: `${followerId}-${at}`,
  });

describe('the follower projection', () => {
  it('activeAmong keeps the fan-out chunk but those who unfollowed since it was read (a chunk of 1,000 too)', async () => {
    const author = newId();
    const other = newId();
    const chunk = Array.from({ length: 1000 }, () => newId());
    await followers.followers.insertMany(
      chunk.map((followerId) => ({
        _id: `${author}/${followerId}`,
        followeeId: author,
        followerId,
        active: true,
        since: new Date(1000),
        changedAt: new Date(1000),
        changeId: 'seed',
      })),
    );
    const listed: string[] = [];
    for await (const id of followers.activeFollowers(author, 1000)) listed.push(id);
    expect(listed.sort()).toEqual([...chunk].sort());

    // Unfollows after the list was read: one early in the chunk, one past the first hundred, one at the end.
    const unfollowed = [chunk[0]!, chunk[150]!, chunk[999]!];
    for (const id of unfollowed) await follow(author, id, false, 2000);
    // The same followers' unfollow of another author says nothing about this one.
    await follow(other, chunk[1]!, true, 1000);
    await follow(other, chunk[1]!, false, 2000);

    const active = await followers.activeAmong(author, chunk);
    expect(active.size).toBe(997);
    for (const id of unfollowed) expect(active.has(id)).toBe(false);
    expect(active.has(chunk[1]!)).toBe(true);
    // A follow again wins over the unfollow.
    await follow(author, chunk[150]!, true, 3000);
    expect((await followers.activeAmong(author, chunk)).has(chunk[150]!)).toBe(true);
    expect(await followers.activeAmong(author, [])).toEqual(new Set());
  });
});
