import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MongoClient, ObjectId, type CommandStartedEvent, type Db } from 'mongodb';
import { createTestServices, type TestServices } from '@micropost/testing';
import { FollowStore } from '../src/follow-store.ts';
import { UserDirectory } from '../src/user-directory.ts';

let services: TestServices;
let client: MongoClient;
let db: Db;
let store: FollowStore;
const reads: CommandStartedEvent[] = [];

beforeAll(async () => {
  services = await createTestServices();
  // One connection, as the subgraph has on FerretDB.
  client = new MongoClient(services.mongoUrl, { monitorCommands: true, maxPoolSize: 1 });
  client.on(
    'commandStarted',
    (event) => ['find', 'aggregate', 'count'].includes(event.commandName) && reads.push(event),
  );
  db = client.db(`${services.dbPrefix}follows`);
  store = await FollowStore.open(db, () => {});
});
afterAll(async () => {
  await client?.close();
  await services?.dispose();
});
beforeEach(() => {
  reads.length = 0;
});

const ids = (n: number) => Array.from({ length: n }, () => new ObjectId());
const countsOf = async (id: ObjectId) => (await store.countsOf([id.toHexString()]))[0]!;
const minuteAgo = () => new Date(Date.now() - 60_000);

describe('FollowStore', () => {
  it('revives a tombstone on a re-follow: same edge, new time, both events kept in order', async () => {
    const [a, b] = ids(2);
    await store.follow(a!, b!, 'r1');
    const first = await store.follows.findOne({ followerId: a, followeeId: b });
    await store.unfollow(a!, b!, 'r2');
    // No relay runs here, so the tombstone stays with its follow.deleted unpublished.
    expect(await store.follows.findOne({ _id: first!._id })).toMatchObject({ tombstone: true, counted: true });
    expect(await countsOf(b!)).toEqual({ followers: 0, following: 0 });
    expect(await store.followsEach(a!, [b!.toHexString()])).toEqual([false]);

    await store.follow(a!, b!, 'r3');
    const revived = await store.follows.findOne({ followerId: a, followeeId: b });
    expect(revived!._id).toEqual(first!._id);
    expect(revived!.tombstone).toBeUndefined();
    expect(revived!.counted).toBe(true);
    expect(revived!.createdAt.getTime()).toBeGreaterThanOrEqual(first!.createdAt.getTime());
    expect(revived!.outbox!.map((event) => event.type)).toEqual(['follow.created', 'follow.deleted', 'follow.created']);
    expect(await countsOf(b!)).toEqual({ followers: 1, following: 0 });
    expect(await countsOf(a!)).toEqual({ followers: 0, following: 1 });
  });

  it('loads the counters of a batch of users with one query', async () => {
    const followee = new ObjectId();
    const fans = ids(20);
    for (const fan of fans) await store.follow(fan, followee, 'r');
    reads.length = 0;
    const batch = [...fans, followee].map((id) => id.toHexString());
    const loaded = await store.countsOf([...batch, 'not-an-id']);
    expect(reads).toHaveLength(1);
    expect(loaded.slice(0, 20)).toEqual(fans.map(() => ({ followers: 0, following: 1 })));
    expect(loaded.slice(20)).toEqual([
      { followers: 20, following: 0 },
      { followers: 0, following: 0 },
    ]);
  });
});

describe('counter reconciliation', () => {
  it('recounts both users of an edge whose follow died before its counters were written', async () => {
    const [a, b] = ids(2);
    await store.follows.insertOne({
      _id: new ObjectId(),
      followerId: a!,
      followeeId: b!,
      createdAt: minuteAgo(),
      counted: false,
      changedAt: minuteAgo(),
    });
    expect(await countsOf(b!)).toEqual({ followers: 0, following: 0 });

    expect(await store.reconcileStuckCounts({ batch: 1000 })).toBeGreaterThanOrEqual(1);
    expect(await countsOf(b!)).toEqual({ followers: 1, following: 0 });
    expect(await countsOf(a!)).toEqual({ followers: 0, following: 1 });
    expect(await store.follows.findOne({ followerId: a, followeeId: b })).toMatchObject({ counted: true });
  });

  it('restores the counters of an unfollow that died after decrementing (the follow stays)', async () => {
    const [a, b] = ids(2);
    await store.follow(a!, b!, 'r');
    // The unfollow's first two steps: claim the edge, decrement; then the process died.
    await store.follows.updateOne(
      { followerId: a, followeeId: b },
      { $set: { counted: false, changedAt: minuteAgo() } },
    );
    await store.counts.updateOne({ _id: b! }, { $inc: { followers: -1 } });
    await store.counts.updateOne({ _id: a! }, { $inc: { following: -1 } });
    expect(await countsOf(b!)).toEqual({ followers: 0, following: 0 });

    await store.reconcileStuckCounts({ batch: 1000 });
    expect(await countsOf(b!)).toEqual({ followers: 1, following: 0 });
    expect(await countsOf(a!)).toEqual({ followers: 0, following: 1 });
    expect(await store.followsEach(a!, [b!.toHexString()])).toEqual([true]);
  });

  it('leaves recently changed edges to their writer, and works in bounded batches', async () => {
    const [a, b, c] = ids(3);
    await store.follows.insertOne({
      _id: new ObjectId(),
      followerId: a!,
      followeeId: b!,
      createdAt: new Date(),
      counted: false,
      changedAt: new Date(),
    });
    await store.reconcileStuckCounts({ batch: 1000 });
    expect(await countsOf(b!)).toEqual({ followers: 0, following: 0 });
    expect(await store.follows.findOne({ followerId: a })).toMatchObject({ counted: false });

    for (const followee of [b!, c!]) {
      await store.follows.insertOne({
        _id: new ObjectId(),
        followerId: new ObjectId(),
        followeeId: followee,
        createdAt: minuteAgo(),
        counted: false,
        changedAt: minuteAgo(),
      });
    }
    expect(await store.reconcileStuckCounts({ batch: 1 })).toBe(1);
    expect(await store.reconcileStuckCounts({ batch: 1000 })).toBe(1);
    expect(await store.reconcileStuckCounts({ batch: 1000 })).toBe(0);
  });

  it('lets an unfollow settle an edge whose writer never came back, then unfollow it', async () => {
    const [a, b] = ids(2);
    // A follow that inserted its edge just now and then died: counters never written.
    await store.follows.insertOne({
      _id: new ObjectId(),
      followerId: a!,
      followeeId: b!,
      createdAt: new Date(),
      counted: false,
      changedAt: new Date(),
    });
    await store.unfollow(a!, b!, 'r');
    expect(await store.follows.findOne({ followerId: a, followeeId: b })).toMatchObject({
      tombstone: true,
      counted: true,
    });
    expect(await countsOf(b!)).toEqual({ followers: 0, following: 0 });
    expect(await countsOf(a!)).toEqual({ followers: 0, following: 0 });
  });
});

describe('UserDirectory', () => {
  const finds = () => reads.filter((event) => event.command.find === 'known_users').length;

  it('knows a registered user, idempotently', async () => {
    const directory = await UserDirectory.open(db);
    const id = new ObjectId(ObjectId.createFromTime(1_000_000).toHexString());
    await directory.recordRegistration(id.toHexString(), new Date());
    await directory.recordRegistration(id.toHexString(), new Date());
    expect(await directory.knownUsers.countDocuments({ _id: id })).toBe(1);
    expect(await directory.exists(id)).toBe(true);
  });

  it('answers an old unknown id at once, with one lookup', async () => {
    // Waiting for a registration would outlast the test's timeout.
    const directory = await UserDirectory.open(db, { waitMs: 10 * 60_000 });
    reads.length = 0;
    expect(await directory.exists(ObjectId.createFromTime(Math.floor(Date.now() / 1000) - 120))).toBe(false);
    expect(finds()).toBe(1);
  });

  it('waits for a recent id until its registration arrives', async () => {
    const directory = await UserDirectory.open(db, { waitMs: 5_000 });
    const id = new ObjectId();
    setTimeout(() => void directory.recordRegistration(id.toHexString(), new Date()), 300);
    // True only once the registration, recorded 300 ms from now, has been seen.
    expect(await directory.exists(id)).toBe(true);
  });

  it('gives up on a recent id after the wait', async () => {
    const directory = await UserDirectory.open(db, { waitMs: 400 });
    const started = Date.now();
    expect(await directory.exists(new ObjectId())).toBe(false);
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
  });
});
