import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MongoClient } from 'mongodb';
import { createEvent } from '@micropost/events';
import { createLogger } from '@micropost/logger';
import { ObjectId } from '@micropost/mongo';
import { createTestServices, type TestServices } from '@micropost/testing';
import { LikeStore, STUCK_AFTER_MS, type LikeDocument } from '../src/like-store.ts';
import { PostStore, type PostDocument } from '../src/post-store.ts';

let services: TestServices;
let client: MongoClient;
let posts: PostStore;
let likes: LikeStore;

beforeAll(async () => {
  services = await createTestServices();
  client = new MongoClient(services.mongoUrl);
  const db = client.db(`${services.dbPrefix}posts`);
  posts = await PostStore.open(db, () => {});
  likes = await LikeStore.open(db, posts, createLogger('test', 'silent'));
});
afterAll(async () => {
  await client?.close();
  await services?.dispose();
});

const longAgo = () => new Date(Date.now() - STUCK_AFTER_MS - 5_000);
const likeCountOf = async (post: PostDocument) => (await posts.findLive(post._id))!.likeCount;
const likesOf = (post: PostDocument) => likes.likes.find({ postId: post._id }, { sort: { userId: 1 } }).toArray();

/** A like document as a request left it when its process died. */
async function leftBehind(post: PostDocument, userId: string, fields: Partial<LikeDocument>): Promise<void> {
  await likes.likes.insertOne({
    _id: new ObjectId(),
    postId: post._id,
    userId,
    createdAt: longAgo(),
    counted: false,
    ...fields,
  });
}

/** Writes a count change as a like request does (so the count already includes the stuck like). */
async function countedByRequest(post: PostDocument, delta: 1 | -1): Promise<void> {
  const change = await posts.changeLikeCount((await posts.findLive(post._id))!, delta, (likeCount) =>
    createEvent('post.liked', { postId: post._id.toHexString(), authorId: post.authorId, likerId: 'x', likeCount }),
  );
  expect(change.outcome).toBe('changed');
}

const newPost = (body: string) => posts.create('a'.repeat(24), body, 'test');

describe('like reconciliation after a crash', () => {
  it('counts a like whose request died before writing the count', async () => {
    const post = await newPost('died before counting');
    await leftBehind(post, 'u1', { counted: false });
    await likes.reconcile();
    expect(await likeCountOf(post)).toBe(1);
    expect((await likesOf(post)).map((like) => like.counted)).toEqual([true]);
  });

  it('does not count twice a like whose request died after writing the count', async () => {
    const post = await newPost('died after counting');
    await countedByRequest(post, 1);
    await leftBehind(post, 'u1', { counted: false });
    await likes.reconcile();
    await likes.reconcile();
    expect(await likeCountOf(post)).toBe(1);
    expect((await likesOf(post)).map((like) => like.counted)).toEqual([true]);
  });

  it('finishes unlikes that died before or after writing the count', async () => {
    const before = await newPost('unlike died before uncounting');
    await countedByRequest(before, 1);
    await leftBehind(before, 'u1', { counted: true, removingSince: longAgo() });
    const after = await newPost('unlike died after uncounting');
    await leftBehind(after, 'u1', { counted: true, removingSince: longAgo() });
    await leftBehind(after, 'u2', { counted: true });
    await countedByRequest(after, 1); // u2's like, counted
    await likes.reconcile();
    expect(await likeCountOf(before)).toBe(0);
    expect(await likesOf(before)).toEqual([]);
    expect(await likeCountOf(after)).toBe(1);
    expect((await likesOf(after)).map((like) => like.userId)).toEqual(['u2']);
  });

  it('leaves a post alone while one of its likes is still in flight', async () => {
    const post = await newPost('busy');
    await leftBehind(post, 'u1', { counted: false });
    await leftBehind(post, 'u2', { counted: false, createdAt: new Date() }); // a live request, not yet counted
    await likes.reconcile();
    expect(await likeCountOf(post)).toBe(0);
    expect((await likesOf(post)).map((like) => like.counted)).toEqual([false, false]);
    // Once the live request has counted its like, the stuck one is repaired.
    await countedByRequest(post, 1);
    await likes.likes.updateOne({ postId: post._id, userId: 'u2' }, { $set: { counted: true } });
    await likes.reconcile();
    expect(await likeCountOf(post)).toBe(2);
  });

  it('removes stuck likes of a deleted post', async () => {
    const post = await newPost('deleted');
    await leftBehind(post, 'u1', { counted: false });
    expect(await posts.tombstone(post, 'test')).toBe(true);
    await likes.reconcile();
    expect(await likesOf(post)).toEqual([]);
  });
});
