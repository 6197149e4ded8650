import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import type { MongoClient } from 'mongodb';
import { createTestServices, seqScansDuringEach, type ScanCheckOptions, type TestServices } from '@micropost/testing';
import { connectMongo, findByIds, isFerretDB, ObjectId } from '../src/index.ts';

// On the patched FerretDB the request-path query shapes are index scans in PostgreSQL: read from
// pg_stat_user_tables around plain driver queries on a collection of a few thousand documents.

interface Entry {
  _id: ObjectId;
  owner: string;
  handle: string;
}

let services: TestServices;
let client: MongoClient;
let scanCheck: ScanCheckOptions | undefined;
const entries: Entry[] = Array.from({ length: 3000 }, (_, i) => ({
  _id: new ObjectId(),
  owner: `o${i % 30}`,
  handle: `h${i}`,
}));

beforeAll(async () => {
  services = await createTestServices();
  client = await connectMongo(services.mongoUrl);
  const { postgresUrl } = inject('micropostServices');
  // Only on the embedded FerretDB (MONGO_URL may point at MongoDB, which has no PostgreSQL).
  if (postgresUrl !== undefined && (await isFerretDB(client))) {
    scanCheck = { postgresUrl, schemaPrefix: services.dbPrefix };
  }
  const collection = client.db(`${services.dbPrefix}scans`).collection<Entry>('entries');
  await collection.createIndex({ owner: 1, _id: -1 });
  await collection.createIndex({ handle: 1 }, { unique: true });
  await collection.insertMany(entries);
}, 120_000);
afterAll(async () => {
  await client?.close();
  await services?.dispose();
});

const entriesOf = () => client.db(`${services.dbPrefix}scans`).collection<Entry>('entries');

describe.runIf(process.env.MONGO_URL === undefined || process.env.POSTGRES_URL !== undefined)('scan check', () => {
  it('point reads, $in, indexed equality and top-N pages scan no table sequentially; a $regex does', async () => {
    const collection = entriesOf();
    const sample = entries[1234]!;
    const requestPaths = async () => {
      const byId = await collection.findOne({ _id: sample._id });
      const byIds = await findByIds(
        collection,
        entries.slice(100, 120).map((entry) => entry._id),
      );
      const byHandle = await collection.findOne({ handle: sample.handle });
      const byOwner = await collection.find({ owner: 'o7' }).toArray();
      const page = await collection.find({ owner: 'o7' }).sort({ _id: -1 }).limit(20).toArray();
      const next = await collection
        .find({ owner: 'o7', _id: { $lt: page.at(-1)!._id } })
        .sort({ _id: -1 })
        .limit(20)
        .toArray();
      return { byId, byIds, byHandle, byOwner, page, next };
    };
    // The control: no index serves a $regex, so the check must see its scan (else it proves nothing).
    const regex = async () => ({ regex: await collection.findOne({ handle: { $regex: '^h2999$' } }) });
    const [indexed, control] = await seqScansDuringEach<object>(scanCheck!, [requestPaths, regex]);

    expect(indexed!.seqScans).toEqual([]);
    expect(indexed!.idxScans).toBeGreaterThanOrEqual(6);
    const result = indexed!.result as Awaited<ReturnType<typeof requestPaths>>;
    expect(result.byId?.handle).toBe(sample.handle);
    expect(result.byIds).toHaveLength(20);
    expect(result.byHandle?._id).toEqual(sample._id);
    expect(result.byOwner).toHaveLength(100);
    const newest = entries
      .filter((entry) => entry.owner === 'o7')
      .map((entry) => entry._id.toHexString())
      .sort()
      .reverse();
    expect([...result.page, ...result.next].map((entry) => entry._id.toHexString())).toEqual(newest.slice(0, 40));

    expect(control!.seqScans).toEqual([expect.objectContaining({ seqScans: 1, rows: 3000 })]);
    expect(control!.seqScans[0]!.table).toMatch(/^t_[0-9a-f]+_scans\.entries_/);
  }, 180_000);
});
