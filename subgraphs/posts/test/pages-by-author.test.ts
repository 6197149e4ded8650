import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MongoClient, ObjectId, type CommandStartedEvent } from 'mongodb';
import { MAX_BATCH_ROWS } from '@micropost/server';
import { createTestServices, type TestServices } from '@micropost/testing';
import { PostStore, type PostDocument } from '../src/post-store.ts';

let services: TestServices;
let client: MongoClient;
let store: PostStore;
const finds: CommandStartedEvent[] = [];

beforeAll(async () => {
  services = await createTestServices();
  client = new MongoClient(services.mongoUrl, { monitorCommands: true });
  client.on('commandStarted', (event) => {
    if (event.commandName === 'find') finds.push(event);
  });
  await client.connect();
  store = await PostStore.open(client.db(`${services.dbPrefix}posts_pages`), () => {});
});
afterAll(async () => {
  await client?.close();
  await services?.dispose();
});

const T0 = Date.UTC(2026, 10, 1);

/** `count` posts of the author, one second apart, written directly (the store's create also counts them). */
async function seed(authorId: string, count: number): Promise<PostDocument[]> {
  const posts = Array.from({ length: count }, (_, i) => ({
    _id: new ObjectId(),
    authorId,
    body: `post ${i}`,
    createdAt: new Date(T0 + i * 1000),
    likeCount: 0,
  }));
  if (posts.length > 0) await store.posts.insertMany(posts);
  return posts.reverse();
}

async function findsDuring<T>(action: () => Promise<T>): Promise<{ result: T; count: number }> {
  const before = finds.length;
  const result = await action();
  return { result, count: finds.length - before };
}

const ids = (posts: PostDocument[]) => posts.map((post) => post._id.toHexString());

describe('pages of many authors', () => {
  it('come from one query, each cut to first + 1, newest first, empty for an author without posts', async () => {
    const authors = Array.from({ length: 12 }, () => new ObjectId().toHexString());
    const newest = await Promise.all(authors.map((author, i) => seed(author, i % 4)));
    const { result, count } = await findsDuring(() => store.pagesByAuthors(authors, { first: 2, after: null }));
    expect(count).toBe(1);
    expect(result.map(ids)).toEqual(newest.map((posts) => ids(posts.slice(0, 3))));
  });

  it('stay bounded and right when one author has more posts than the batch may read', async () => {
    const prolific = new ObjectId().toHexString();
    const others = Array.from({ length: 3 }, () => new ObjectId().toHexString());
    // ObjectIds made later sort later: the prolific author comes first, and its posts alone fill
    // the batch's row limit (4 authors × 101).
    const authors = [prolific, ...others];
    expect([...authors].sort()).toEqual(authors);
    const posts = new Map<string, PostDocument[]>();
    for (const author of authors) posts.set(author, await seed(author, author === prolific ? MAX_BATCH_ROWS + 10 : 3));
    const { result, count } = await findsDuring(() => store.pagesByAuthors(authors, { first: 100, after: null }));
    expect(result.map(ids)).toEqual(authors.map((author) => ids(posts.get(author)!.slice(0, 101))));
    // One batch, plus one query (of 101 rows) for each author the batch did not reach.
    expect(count).toBe(1 + others.length);
  });
});
