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

async function open(url: string, options: ConnectOptions): Promise<MongoClient> {
  const client = new MongoClient(url, {
    // Majority writes survive a primary failing over; servers without replication treat it as acknowledged.
    writeConcern: { w: 'majority' },
    retryWrites: true,
    serverSelectionTimeoutMS: 10_000,
    appName: 'micropost',
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
 * One client per process, with the driver's connection pool on MongoDB and on the project's
 * patched FerretDB alike: the patches make FerretDB's updates and findAndModify atomic (stock 1.24
 * lost concurrent updates, so this client used to keep a single connection there).
 */
export async function connectMongo(url: string, options: ConnectOptions = {}): Promise<MongoClient> {
  return open(url, options);
}

/**
 * Longest `$in` list the patched FerretDB hands to PostgreSQL's indexes (its `maxInPushdown`);
 * a longer one is evaluated by decoding the whole collection, so findByIds splits longer lists.
 */
export const IN_BATCH = 100;

/**
 * The documents with these `_id`s that also match `filter`, in no particular order: a DataLoader's
 * batch, as `_id: {$in: ids}` queries of up to IN_BATCH ids (index lookups on MongoDB and on the
 * patched FerretDB). It used to send one point read per id on FerretDB, which stock 1.24 needed;
 * callers may as well query `$in` themselves now.
 */
export async function findByIds<T extends Document>(
  collection: Collection<T>,
  ids: readonly unknown[],
  filter: Filter<T> = {},
): Promise<WithId<T>[]> {
  const batches: unknown[][] = [];
  for (let start = 0; start < ids.length; start += IN_BATCH) batches.push(ids.slice(start, start + IN_BATCH));
  const found = await Promise.all(
    batches.map((batch) => collection.find({ ...filter, _id: { $in: batch } } as Filter<T>).toArray()),
  );
  return found.flat();
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
 * Applies the updates in one unordered `bulkWrite`. (Stock FerretDB 1.24 hung on an `update`
 * command of 50 statements, holding a backend connection per statement; the patched one releases
 * each, so this no longer splits the batch into commands of 8.)
 */
export async function updateEach<T extends Document>(
  collection: Collection<T>,
  updates: readonly UpdateOneModel<T>[],
): Promise<void> {
  if (updates.length === 0) return;
  await collection.bulkWrite(
    updates.map((updateOne) => ({ updateOne })),
    { ordered: false },
  );
}

/** Parses a client-supplied id; null when it cannot be an ObjectId (so lookups find nothing). */
export function parseObjectId(id: string): ObjectId | null {
  return /^[0-9a-f]{24}$/i.test(id) ? new ObjectId(id) : null;
}
export * from './duplicate-key.ts';
export * from './sharding.ts';
