import {
  MongoBulkWriteError,
  MongoClient,
  MongoServerError,
  ObjectId,
  type Collection,
  type CommandStartedEvent,
  type Db,
  type Document,
  type Filter,
  type OptionalUnlessRequiredId,
  type UpdateOneModel,
  type WithId,
} from 'mongodb';

export { ObjectId };

export interface ConnectOptions {
  /** Sees every command the client sends: tests count queries with it. */
  readonly onCommand?: (event: CommandStartedEvent) => void;
}

async function open(url: string, options: ConnectOptions, maxPoolSize?: number): Promise<MongoClient> {
  const client = new MongoClient(url, {
    // Majority writes survive a primary failing over; servers without replication treat it as acknowledged.
    writeConcern: { w: 'majority' },
    retryWrites: true,
    serverSelectionTimeoutMS: 10_000,
    appName: 'micropost',
    ...(maxPoolSize === undefined ? {} : { maxPoolSize }),
    monitorCommands: options.onCommand !== undefined,
  });
  if (options.onCommand) client.on('commandStarted', options.onCommand);
  await client.connect();
  return client;
}

/** True when the client talks to FerretDB rather than MongoDB. */
export async function isFerretDB(client: MongoClient): Promise<boolean> {
  const info = await client.db('admin').command({ buildInfo: 1 });
  return typeof info.ferretdbVersion === 'string';
}

/**
 * One client per process. On FerretDB 1.x the client keeps a single connection: FerretDB applies
 * an update as read-modify-write without isolation (FerretDB issue #3040), so two connections
 * updating one document lose writes (measured: 19 of 100 concurrent `$inc` survive), while one
 * connection's commands run in order (findByIds alone reads through a pool of its own). MongoDB
 * keeps the driver's pool.
 */
export async function connectMongo(url: string, options: ConnectOptions = {}): Promise<MongoClient> {
  const probe = await open(url, {});
  const ferretdb = await isFerretDB(probe);
  await probe.close();
  const client = await open(url, options, ferretdb ? 1 : undefined);
  if (ferretdb) {
    const reads = await open(url, options, POINT_READ_CONNECTIONS);
    client.once('topologyClosed', () => void reads.close());
    pointReadPools.set(client, reads);
  }
  return client;
}

/**
 * FerretDB clients and their pool for findByIds' point reads: reads take no part in FerretDB's
 * lost updates, so one batch's point reads run side by side instead of queueing on the writer's
 * single connection.
 */
const pointReadPools = new WeakMap<MongoClient, MongoClient>();
const POINT_READ_CONNECTIONS = 8;

/**
 * The documents with these `_id`s that also match `filter`, in no particular order: a DataLoader's
 * batch. MongoDB: one `$in` query on the `_id` index. FerretDB 1.24 evaluates `$in` itself after
 * decoding every document of the collection, but hands `_id` equality to PostgreSQL: there, one
 * point query per id (20 of 10,000 users: 675 ms as one `$in`, 151 ms as 20 point queries on one
 * connection), run side by side on the client's pool for point reads.
 */
export async function findByIds<T extends Document>(
  collection: Collection<T>,
  ids: readonly unknown[],
  filter: Filter<T> = {},
): Promise<WithId<T>[]> {
  if (ids.length === 0) return [];
  const reads = pointReadPools.get(collection.db.client);
  if (!reads) return collection.find({ ...filter, _id: { $in: [...ids] } } as Filter<T>).toArray();
  const target = reads.db(collection.dbName).collection<T>(collection.collectionName);
  const found: (WithId<T> | null)[] = await Promise.all(
    ids.map((_id) => target.findOne({ ...filter, _id } as Filter<T>)),
  );
  return found.filter((document) => document !== null);
}

/** Each subgraph owns one database, `<prefix><subgraph>`. */
export function subgraphDatabase(client: MongoClient, prefix: string, subgraph: string): Db {
  return client.db(`${prefix}${subgraph}`);
}

/** True when a write failed on a unique index. */
export function isDuplicateKeyError(error: unknown): boolean {
  return error instanceof MongoServerError && error.code === 11000;
}

/**
 * Inserts the documents that are not there yet (by unique index, usually `_id`) in one unordered
 * batch and returns those it inserted: the idempotent write of projections. Cheaper than an upsert
 * per document on MongoDB and far cheaper on FerretDB, which answers each upsert with a query first
 * (20,000 timeline entries: 1 s as inserts, 104 s as upserts on FerretDB 1.24 with PostgreSQL).
 */
export async function insertMissing<T extends Document>(
  collection: Collection<T>,
  documents: readonly OptionalUnlessRequiredId<T>[],
): Promise<OptionalUnlessRequiredId<T>[]> {
  if (documents.length === 0) return [];
  try {
    await collection.insertMany([...documents], { ordered: false });
    return [...documents];
  } catch (error) {
    if (!(error instanceof MongoBulkWriteError)) throw error;
    const failed = [error.writeErrors].flat();
    if (failed.some((writeError) => writeError.code !== 11000)) throw error;
    const present = new Set(failed.map((writeError) => writeError.index));
    return documents.filter((_, index) => !present.has(index));
  }
}

/**
 * Update statements per `update` command sent by `updateEach`. FerretDB 1.24 keeps the backend
 * connection of every statement's read open until the whole command ends (a `defer` inside its
 * per-statement loop) and each statement's write needs one more, from a pool of 50 by default: a
 * command of 50 updates (a fan-out's counters, a post's index terms) deadlocks FerretDB for every
 * client. Small commands keep concurrent writers far from the pool's size.
 */
export const UPDATES_PER_COMMAND = 8;

/** Applies the updates, unordered, UPDATES_PER_COMMAND statements per round trip. */
export async function updateEach<T extends Document>(
  collection: Collection<T>,
  updates: readonly UpdateOneModel<T>[],
): Promise<void> {
  for (let start = 0; start < updates.length; start += UPDATES_PER_COMMAND) {
    await collection.bulkWrite(
      updates.slice(start, start + UPDATES_PER_COMMAND).map((updateOne) => ({ updateOne })),
      { ordered: false },
    );
  }
}

/** Parses a client-supplied id; null when it cannot be an ObjectId (so lookups find nothing). */
export function parseObjectId(id: string): ObjectId | null {
  return /^[0-9a-f]{24}$/i.test(id) ? new ObjectId(id) : null;
}
export * from './duplicate-key.ts';
