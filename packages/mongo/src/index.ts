import { MongoClient, MongoServerError, ObjectId, type Db } from 'mongodb';

export { ObjectId };

/**
 * One client per process. Majority writes survive a primary failing over on a replica set;
 * servers without replication (the embedded FerretDB) treat it as an acknowledged write.
 */
export async function connectMongo(url: string): Promise<MongoClient> {
  const client = new MongoClient(url, {
    writeConcern: { w: 'majority' },
    retryWrites: true,
    serverSelectionTimeoutMS: 10_000,
    appName: 'micropost',
  });
  await client.connect();
  return client;
}

/** Each subgraph owns one database, `<prefix><subgraph>`. */
export function subgraphDatabase(client: MongoClient, prefix: string, subgraph: string): Db {
  return client.db(`${prefix}${subgraph}`);
}

/** True when a write failed on a unique index. */
export function isDuplicateKeyError(error: unknown): boolean {
  return error instanceof MongoServerError && error.code === 11000;
}

/** Parses a client-supplied id; null when it cannot be an ObjectId (so lookups find nothing). */
export function parseObjectId(id: string): ObjectId | null {
  return /^[0-9a-f]{24}$/i.test(id) ? new ObjectId(id) : null;
}
