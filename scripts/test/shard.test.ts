import { describe, expect, it } from 'vitest';
import { shardCommands, type ShardCommand } from '@micropost/mongo';
import { loadSubgraphs, shardKeyPlan } from '@micropost/app';
import { SERVED_SUBGRAPHS } from '../../subgraphs/registry.ts';

// What `npm run shard` sends to a mongos (MongoDB cannot run here; applyShardCommands' handling
// of "already enabled" and already-sharded collections is tested in packages/mongo).
const commands = shardCommands(shardKeyPlan(await loadSubgraphs(), 'micropost_'));
const sharded = (ns: string) =>
  commands.find(
    (command): command is Extract<ShardCommand, { shardCollection: string }> =>
      'shardCollection' in command && command.shardCollection === ns,
  );

describe('npm run shard', () => {
  it("enables every database that has a sharded collection, before sharding that database's collections", () => {
    const enabled = commands.flatMap((command) => ('enableSharding' in command ? [command.enableSharding] : []));
    expect(enabled.sort()).toEqual(
      [...SERVED_SUBGRAPHS.map((entry) => entry.name).filter((name) => name !== 'users'), 'router']
        .map((name) => `micropost_${name}`)
        .sort(),
    );
    commands.forEach((command, i) => {
      if (!('shardCollection' in command)) return;
      const database = command.shardCollection.split('.')[0]!;
      expect(commands.slice(0, i)).toContainEqual({ enableSharding: database });
    });
  });

  it('shards each collection by its declared key, and leaves users unsharded', () => {
    expect(sharded('micropost_feed.timelines')?.key).toEqual({ ownerId: 1 });
    expect(sharded('micropost_posts.likes')?.key).toEqual({ postId: 1, userId: 1 });
    expect(sharded('micropost_posts.posts')?.key).toEqual({ _id: 'hashed' });
    expect(sharded('micropost_follows.follows')?.key).toEqual({ followerId: 1, followeeId: 1 });
    expect(sharded('micropost_feed.followers')?.key).toEqual({ followeeId: 1, followerId: 1 });
    expect(sharded('micropost_search.post_tokens')?.key).toEqual({ term: 1, _id: 1 });
    expect(sharded('micropost_router.rate_limits')?.key).toEqual({ key: 1 });
    expect(sharded('micropost_users.users')).toBeUndefined();
  });
});
