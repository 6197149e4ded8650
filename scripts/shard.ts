// npm run shard -- <mongos url>: enables sharding on every Micropost database and shards each
// collection by the key its store declares (`<Store>.shardKeys`, gathered in each subgraph's
// definition). Idempotent: run it after every deploy; collections sharded already are skipped.
// Databases are named `<MONGO_DB_PREFIX><subgraph>` as the servers name them (default prefix
// `micropost_`). Run it once the servers have started once, so that the unique indexes exist.
import { pathToFileURL } from 'node:url';
import type { MongoClient } from 'mongodb';
import { mongoEnv, parseEnv } from '@micropost/config';
import { applyShardCommands, connectMongo, shardCommands } from '@micropost/mongo';
import { loadSubgraphs, shardKeyPlan } from '@micropost/app';

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [url, ...rest] = process.argv.slice(2);
  if (!url || rest.length > 0 || !/^mongodb(\+srv)?:\/\//.test(url)) {
    console.error('usage: npm run shard -- <mongodb://… url of a mongos>');
    process.exit(2);
  }
  const { MONGO_DB_PREFIX } = parseEnv({ MONGO_DB_PREFIX: mongoEnv.MONGO_DB_PREFIX }, process.env);
  const commands = shardCommands(shardKeyPlan(await loadSubgraphs(), MONGO_DB_PREFIX));
  let client: MongoClient | undefined;
  try {
    client = await connectMongo(url);
    const report = await applyShardCommands(client, commands, (line) => console.log(`[shard] ${line}`));
    console.log(`[shard] ${report.sharded.length} collections sharded, ${report.skipped.length} already were`);
  } catch (err) {
    console.error(`[shard] ${(err as Error).message}`);
    process.exitCode = 1;
  } finally {
    await client?.close();
  }
}
