import { describe, expect, it } from 'vitest';
import { MongoServerError, ObjectId, type MongoClient } from 'mongodb';
import {
  applyShardCommands,
  isTargeted,
  shardBy,
  shardCommands,
  uniqueIndexFits,
  unsharded,
  untargetedOperations,
  type DatabaseShardKeys,
  type ShardCommand,
} from '../src/index.ts';

const plan: DatabaseShardKeys[] = [
  {
    database: 'm_posts',
    collections: {
      posts: shardBy({ _id: 'hashed' }, 'by id'),
      likes: shardBy({ postId: 1, userId: 1 }, 'by post'),
    },
  },
  { database: 'm_users', collections: { users: unsharded('small') } },
];

describe('shardCommands', () => {
  it('enables each database before sharding its collections, and sends nothing for unsharded ones', () => {
    expect(shardCommands(plan)).toEqual([
      { enableSharding: 'm_posts' },
      { shardCollection: 'm_posts.posts', key: { _id: 'hashed' } },
      { shardCollection: 'm_posts.likes', key: { postId: 1, userId: 1 } },
    ]);
  });
});

/**
 * A stand-in for a mongos that records the admin commands it is sent, knows which collections are
 * sharded (config.collections) and, like MongoDB before 6.0, refuses a second enableSharding.
 */
function fakeMongos(sharded: Record<string, object>) {
  const sent: object[] = [];
  const indexes: string[] = [];
  const enabled = new Set<string>();
  const client = {
    db: (name: string) => ({
      command: async (command: Record<string, unknown>) => {
        sent.push(command);
        if ('enableSharding' in command) {
          if (enabled.has(command.enableSharding as string))
            throw new MongoServerError({ code: 23, errmsg: 'already enabled' });
          enabled.add(command.enableSharding as string);
        }
        if ('shardCollection' in command) sharded[command.shardCollection as string] = { key: command.key };
        return { ok: 1 };
      },
      collection: (collection: string) => ({
        findOne: async ({ _id }: { _id: string }) =>
          name === 'config' && collection === 'collections' && sharded[_id] ? { _id, ...sharded[_id] } : null,
        createIndex: async (key: object) => void indexes.push(`${name}.${collection} ${JSON.stringify(key)}`),
      }),
    }),
  } as unknown as MongoClient;
  return { client, sent, indexes };
}

describe('applyShardCommands', () => {
  const commands = shardCommands(plan);

  it("sends the admin commands, creating each key's index first", async () => {
    const mongos = fakeMongos({});
    const report = await applyShardCommands(mongos.client, commands);
    expect(mongos.sent).toEqual(commands satisfies ShardCommand[]);
    expect(mongos.indexes).toEqual(['m_posts.posts {"_id":"hashed"}', 'm_posts.likes {"postId":1,"userId":1}']);
    expect(report).toEqual({ enabled: ['m_posts'], sharded: ['m_posts.posts', 'm_posts.likes'], skipped: [] });
  });

  it('is idempotent: a second run skips what is sharded and accepts "already enabled"', async () => {
    const mongos = fakeMongos({});
    await applyShardCommands(mongos.client, commands);
    mongos.sent.length = 0;
    const again = await applyShardCommands(mongos.client, commands);
    expect(mongos.sent).toEqual([{ enableSharding: 'm_posts' }]);
    expect(again.skipped).toEqual(['m_posts.posts', 'm_posts.likes']);
  });

  it('refuses a collection sharded by another key rather than resharding it', async () => {
    const mongos = fakeMongos({ 'm_posts.posts': { key: { authorId: 1 } } });
    await expect(applyShardCommands(mongos.client, commands)).rejects.toThrow(/m_posts.posts is sharded by/);
  });

  it('shards a collection MongoDB 8 tracks unsharded (moved to another shard)', async () => {
    const mongos = fakeMongos({ 'm_posts.likes': { key: { _id: 1 }, unsplittable: true } });
    const report = await applyShardCommands(mongos.client, commands);
    expect(report.sharded).toEqual(['m_posts.posts', 'm_posts.likes']);
  });
});

describe('uniqueIndexFits', () => {
  it('takes a unique index that starts with a ranged shard key, nothing else', () => {
    expect(uniqueIndexFits({ postId: 1, userId: 1 }, { postId: 1, userId: 1 })).toBe(true);
    expect(uniqueIndexFits({ ownerId: 1 }, { ownerId: 1, postId: 1 })).toBe(true);
    expect(uniqueIndexFits({ ownerId: 1 }, { postId: 1, ownerId: 1 })).toBe(false);
    expect(uniqueIndexFits({ postId: 1, userId: 1 }, { postId: 1 })).toBe(false);
    expect(uniqueIndexFits({ _id: 'hashed' }, { handle: 1 })).toBe(false);
  });
});

describe('isTargeted', () => {
  const id = new ObjectId();

  it('accepts equality or $in on the first key field, at the top level or in $and', () => {
    expect(isTargeted({ ownerId: 'u1', _id: { $lt: 'x' } }, { ownerId: 1 })).toBe(true);
    expect(isTargeted({ postId: { $in: [id] }, userId: 'u' }, { postId: 1, userId: 1 })).toBe(true);
    expect(isTargeted({ _id: id, tombstone: { $ne: true } }, { _id: 'hashed' })).toBe(true);
    expect(isTargeted({ _id: { $eq: id } }, { _id: 'hashed' })).toBe(true);
    expect(isTargeted({ $and: [{ term: 'a' }, { _id: { $lt: 'b' } }] }, { term: 1, _id: 1 })).toBe(true);
    expect(isTargeted({ createdAt: new Date() }, { createdAt: 1 })).toBe(true);
  });

  it('rejects a scatter: the key missing, or only a range, $ne or $or on it', () => {
    expect(isTargeted({ handle: 'ann' }, { _id: 'hashed' })).toBe(false);
    expect(isTargeted({ followeeId: id }, { followerId: 1, followeeId: 1 })).toBe(false);
    expect(isTargeted({ _id: { $gt: 'a' } }, { _id: 'hashed' })).toBe(false);
    expect(isTargeted({ ownerId: { $ne: 'a' } }, { ownerId: 1 })).toBe(false);
    expect(isTargeted({ $or: [{ ownerId: 'a' }, { x: 1 }] }, { ownerId: 1 })).toBe(false);
    expect(isTargeted({}, { ownerId: 1 })).toBe(false);
    expect(isTargeted(undefined, { ownerId: 1 })).toBe(false);
  });

  it('asks an upsert for equality on every key field', () => {
    expect(
      isTargeted({ _id: 'a/b', followeeId: 'a', followerId: 'b' }, { followeeId: 1, followerId: 1 }, { upsert: true }),
    ).toBe(true);
    expect(isTargeted({ _id: 'a/b', followeeId: 'a' }, { followeeId: 1, followerId: 1 }, { upsert: true })).toBe(false);
    expect(isTargeted({ _id: { $in: ['a'] } }, { _id: 'hashed' }, { upsert: true })).toBe(false);
  });
});

describe('untargetedOperations', () => {
  const keys = {
    timelines: shardBy({ ownerId: 1 }, 'by owner'),
    users: unsharded('small'),
  };

  it('finds the statements of a command that would be broadcast', () => {
    const command = {
      delete: 'timelines',
      deletes: [
        { q: { ownerId: 'a', _id: 'a/1' }, limit: 1 },
        { q: { _id: 'a/2' }, limit: 1 },
      ],
    };
    expect(untargetedOperations('delete', command, keys)).toEqual([
      { collection: 'timelines', command: 'delete', filter: { _id: 'a/2' }, upsert: false },
    ]);
    expect(untargetedOperations('find', { find: 'timelines', filter: { postId: 'p' } }, keys)).toHaveLength(1);
    expect(
      untargetedOperations('aggregate', { aggregate: 'timelines', pipeline: [{ $match: { ownerId: 'a' } }] }, keys),
    ).toEqual([]);
    expect(
      untargetedOperations('findAndModify', { findAndModify: 'timelines', query: {}, upsert: true }, keys),
    ).toHaveLength(1);
    expect(
      untargetedOperations('update', { update: 'timelines', updates: [{ q: { ownerId: 'a' }, upsert: true }] }, keys),
    ).toEqual([]);
  });

  it('leaves unsharded and undeclared collections, inserts and cursors alone', () => {
    expect(untargetedOperations('find', { find: 'users', filter: { handle: 'ann' } }, keys)).toEqual([]);
    expect(untargetedOperations('find', { find: 'other', filter: {} }, keys)).toEqual([]);
    expect(untargetedOperations('insert', { insert: 'timelines', documents: [{}] }, keys)).toEqual([]);
    expect(untargetedOperations('getMore', { getMore: 1, collection: 'timelines' }, keys)).toEqual([]);
  });
});
