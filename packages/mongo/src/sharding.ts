import type { Document, MongoClient } from 'mongodb';

/**
 * How a collection is spread over the shards of a sharded cluster (`mongos`). Declared by each
 * store next to its indexes, so the key and the queries that must carry it are read together;
 * `npm run shard` applies every declaration, and a test checks the request paths' filters against it.
 *
 * - `key`: the shard key, fields in order; `1` is a ranged field, `'hashed'` a hashed one. A
 *   collection with a unique index other than `_id` needs a ranged key that prefixes that index
 *   (MongoDB enforces uniqueness across shards only then; a hashed key allows no such index).
 * - `key: null`: deliberately unsharded — the collection lives on its database's primary shard,
 *   so every query reaches one shard; the reason says why and what sharding it would take.
 */
export type ShardKey = Readonly<Record<string, 1 | 'hashed'>>;

export interface ShardPlan {
  readonly key: ShardKey | null;
  /** One line: what the request paths filter on, and so why this key. */
  readonly reason: string;
}

/** A store's declarations: collection name → plan. */
export type ShardKeys = Readonly<Record<string, ShardPlan>>;

/** Spread over the shards by `key`. */
export const shardBy = (key: ShardKey, reason: string): ShardPlan => ({ key, reason });
/** Kept on one shard on purpose. */
export const unsharded = (reason: string): ShardPlan => ({ key: null, reason });

/** Collection name → its shard key's fields (none for an unsharded one): what a write must name to reach one shard. */
export function shardKeyFields(keys: ShardKeys): Record<string, string[]> {
  return Object.fromEntries(Object.entries(keys).map(([name, plan]) => [name, Object.keys(plan.key ?? {})]));
}

/** One database's declarations (a subgraph's, the router's). */
export interface DatabaseShardKeys {
  readonly database: string;
  readonly collections: ShardKeys;
}

/** One step of applying the plan, as the admin command `mongos` is sent. */
export type ShardCommand =
  | { readonly enableSharding: string }
  | { readonly shardCollection: string; readonly key: ShardKey };

/**
 * The admin commands that shard every declared collection (`sh.enableSharding` and
 * `sh.shardCollection`), in order: a database is enabled before its collections. Unsharded
 * collections send nothing. Never `unique: true`: a hashed key cannot take it, and the unique
 * indexes a ranged key needs are created by the stores already.
 */
export function shardCommands(databases: readonly DatabaseShardKeys[]): ShardCommand[] {
  const commands: ShardCommand[] = [];
  for (const { database, collections } of databases) {
    const sharded = Object.entries(collections).filter(
      (entry): entry is [string, { key: ShardKey; reason: string }] => entry[1].key !== null,
    );
    if (sharded.length === 0) continue;
    commands.push({ enableSharding: database });
    for (const [collection, { key }] of sharded) commands.push({ shardCollection: `${database}.${collection}`, key });
  }
  return commands;
}

/** MongoDB's codes for "this database is sharded already" (older servers answer enableSharding twice with an error). */
const ALREADY_ENABLED = new Set([23 /* AlreadyInitialized */]);

export interface ShardReport {
  readonly enabled: string[];
  readonly sharded: string[];
  /** Namespaces sharded before this run (with the same key). */
  readonly skipped: string[];
}

/**
 * Sends the plan to a `mongos`; idempotent. A collection sharded already is skipped (read from
 * `config.collections`), and one sharded with a different key is an error (resharding is a
 * decision, not something a script does by itself). Each shard key's index is created first: a
 * non-empty collection can only be sharded on an existing index.
 */
export async function applyShardCommands(
  client: MongoClient,
  commands: readonly ShardCommand[],
  log: (line: string) => void = () => {},
): Promise<ShardReport> {
  const admin = client.db('admin');
  const report: ShardReport = { enabled: [], sharded: [], skipped: [] };
  for (const command of commands) {
    if ('enableSharding' in command) {
      try {
        await admin.command({ enableSharding: command.enableSharding });
      } catch (error) {
        if (!ALREADY_ENABLED.has((error as { code?: number }).code ?? -1)) throw error;
      }
      report.enabled.push(command.enableSharding);
      log(`sharding enabled on ${command.enableSharding}`);
      continue;
    }
    const ns = command.shardCollection;
    const existing = await client
      .db('config')
      .collection<Document>('collections')
      .findOne({ _id: ns as never });
    // MongoDB 8 also lists unsharded collections it tracks (moved ones): `unsplittable`, not sharded.
    if (existing && existing.dropped !== true && existing.unsplittable !== true && existing.key) {
      if (!sameKey(existing.key as ShardKey, command.key))
        throw new Error(`${ns} is sharded by ${JSON.stringify(existing.key)}, not ${JSON.stringify(command.key)}`);
      report.skipped.push(ns);
      log(`${ns} already sharded by ${JSON.stringify(command.key)}`);
      continue;
    }
    const dot = ns.indexOf('.');
    await client
      .db(ns.slice(0, dot))
      .collection(ns.slice(dot + 1))
      .createIndex({ ...command.key });
    await admin.command({ shardCollection: ns, key: command.key });
    report.sharded.push(ns);
    log(`${ns} sharded by ${JSON.stringify(command.key)}`);
  }
  return report;
}

function sameKey(a: ShardKey, b: ShardKey): boolean {
  return JSON.stringify(Object.entries(a)) === JSON.stringify(Object.entries(b));
}

/**
 * Whether an index's key starts with the shard key (same fields, same order; a hashed shard key
 * field matches the same field ranged, as MongoDB's prefix rule does). A unique index other than
 * `_id` is only allowed on a ranged key's collection, and only with the key as its prefix.
 */
export function uniqueIndexFits(shardKey: ShardKey, indexKey: Readonly<Record<string, unknown>>): boolean {
  const shardFields = Object.entries(shardKey);
  if (shardFields.some(([, kind]) => kind === 'hashed')) return false;
  const indexFields = Object.keys(indexKey);
  return shardFields.every(([field], i) => indexFields[i] === field);
}

/**
 * Whether `mongos` can route a query with this filter to the shards owning its key range rather
 * than broadcast it: the shard key's first field is pinned by equality or `$in` (for a hashed
 * field, equality or `$in` too: each value hashes to one chunk), at the top level or inside a
 * top-level `$and`. An upsert needs more: equality on every field of the key, since the document it
 * may insert has to be placed. (`$or` of pinned branches is targetable too, but nothing here needs it.)
 */
export function isTargeted(filter: Document | undefined, key: ShardKey, options: { upsert?: boolean } = {}): boolean {
  const fields = Object.keys(key);
  const required = options.upsert ? fields : fields.slice(0, 1);
  return required.every((field) => pins(filter, field, options.upsert === true));
}

function pins(filter: Document | undefined, field: string, equalityOnly: boolean): boolean {
  if (!filter || typeof filter !== 'object') return false;
  if (field in filter && pinnedValue(filter[field], equalityOnly)) return true;
  const and = filter.$and;
  return Array.isArray(and) && and.some((clause) => pins(clause as Document, field, equalityOnly));
}

function pinnedValue(condition: unknown, equalityOnly: boolean): boolean {
  if (condition === null || typeof condition !== 'object') return true;
  // A BSON value (ObjectId, Date…) is an equality, not an operator document.
  if ('_bsontype' in condition || condition instanceof Date) return true;
  const operators = Object.keys(condition);
  if (operators.length === 0 || !operators[0]!.startsWith('$')) return true; // equality on a sub-document
  if ('$eq' in condition) return true;
  if (!equalityOnly && '$in' in condition && Array.isArray((condition as { $in: unknown }).$in)) return true;
  return false;
}

/** A read or write whose filter a sharded cluster could not route to the shards owning its key. */
export interface UntargetedOperation {
  readonly collection: string;
  readonly command: string;
  readonly filter: Document | undefined;
  readonly upsert: boolean;
}

/**
 * The operations in one database command (as the driver's command monitoring sees it) that would
 * be broadcast to every shard: finds, counts, distincts, aggregations (by their leading `$match`),
 * each statement of an update or delete, and findAndModify, on a sharded collection, whose filter
 * does not pin the shard key (`isTargeted`). Inserts are routed by the document itself.
 */
export function untargetedOperations(commandName: string, command: Document, keys: ShardKeys): UntargetedOperation[] {
  const collection = command[commandName];
  if (typeof collection !== 'string') return [];
  const key = keys[collection]?.key;
  if (!key) return [];
  const operations: { filter: Document | undefined; upsert: boolean }[] = [];
  switch (commandName) {
    case 'find':
      operations.push({ filter: command.filter, upsert: false });
      break;
    case 'count':
    case 'distinct':
      operations.push({ filter: command.query, upsert: false });
      break;
    case 'aggregate': {
      const first = (command.pipeline as Document[] | undefined)?.[0];
      operations.push({ filter: first?.$match, upsert: false });
      break;
    }
    case 'update':
      for (const statement of (command.updates ?? []) as Document[])
        operations.push({ filter: statement.q, upsert: statement.upsert === true });
      break;
    case 'delete':
      for (const statement of (command.deletes ?? []) as Document[])
        operations.push({ filter: statement.q, upsert: false });
      break;
    case 'findAndModify':
      operations.push({ filter: command.query, upsert: command.upsert === true });
      break;
  }
  return operations
    .filter(({ filter, upsert }) => !isTargeted(filter, key, { upsert }))
    .map(({ filter, upsert }) => ({ collection, command: commandName, filter, upsert }));
}
