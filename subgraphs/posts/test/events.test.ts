import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql, registerAccount, type TestAccount } from '@micropost/testing';
import { startPostsGraph, type PostsTestGraph } from './helpers.ts';
import { tapEvents, type EventTap } from '@micropost/testing';

let env: PostsTestGraph;
let url: string;
let events: EventTap;
let alice: TestAccount;
let bob: TestAccount;

beforeAll(async () => {
  env = await startPostsGraph();
  url = env.graph.url;
  events = await tapEvents(env.services.amqpUrl, 'post.*');
  [alice, bob] = await Promise.all([registerAccount(url, 'alice'), registerAccount(url, 'bob')]);
});
afterAll(async () => {
  await events?.close();
  await env?.stop();
});

const envelope = (type: string, requestId: string, data: Record<string, unknown>) => ({
  id: expect.stringMatching(/^[0-9a-f-]{36}$/),
  type,
  version: 1,
  occurredAt: expect.any(String),
  requestId,
  data,
});

describe('posts events', () => {
  it('publishes post.created, post.liked, post.unliked and post.deleted with their data', async () => {
    const created = await graphql(url, `mutation { createPost(body: "  Hello events  ") { id createdAt } }`, {
      token: alice.token,
      headers: { 'x-request-id': 'req-create' },
    });
    const post = created.data!.createPost;
    const first = await events.next();
    expect(first.routingKey).toBe('post.created');
    expect(first.messageId).toBe(first.body.id);
    expect(first.body).toEqual(
      envelope('post.created', 'req-create', {
        postId: post.id,
        authorId: alice.id,
        body: 'Hello events',
        createdAt: post.createdAt,
      }),
    );

    await graphql(url, `mutation($id: ID!) { likePost(postId: $id) { id } }`, {
      token: bob.token,
      variables: { id: post.id },
      headers: { 'x-request-id': 'req-like' },
    });
    const liked = await events.next();
    expect(liked.routingKey).toBe('post.liked');
    expect(liked.body).toEqual(
      envelope('post.liked', 'req-like', { postId: post.id, authorId: alice.id, likerId: bob.id, likeCount: 1 }),
    );

    await graphql(url, `mutation($id: ID!) { unlikePost(postId: $id) { id } }`, {
      token: bob.token,
      variables: { id: post.id },
      headers: { 'x-request-id': 'req-unlike' },
    });
    const unliked = await events.next();
    expect(unliked.routingKey).toBe('post.unliked');
    expect(unliked.body).toEqual(
      envelope('post.unliked', 'req-unlike', { postId: post.id, authorId: alice.id, likerId: bob.id, likeCount: 0 }),
    );

    await graphql(url, `mutation($id: ID!) { deletePost(id: $id) }`, {
      token: alice.token,
      variables: { id: post.id },
      headers: { 'x-request-id': 'req-delete' },
    });
    const deleted = await events.next();
    expect(deleted.routingKey).toBe('post.deleted');
    expect(deleted.body).toEqual(
      envelope('post.deleted', 'req-delete', { postId: post.id, authorId: alice.id, createdAt: post.createdAt }),
    );
  });

  it('publishes nothing for refused writes', async () => {
    await graphql(url, `mutation { createPost(body: "   ") { id } }`, { token: alice.token });
    await graphql(url, `mutation { createPost(body: "not signed in") { id } }`);
    const other = await graphql(url, `mutation { createPost(body: "mine") { id } }`, { token: bob.token });
    await graphql(url, `mutation($id: ID!) { deletePost(id: $id) }`, {
      token: alice.token,
      variables: { id: other.data!.createPost.id },
    });
    await graphql(url, `mutation { createPost(body: "marker") { id } }`, { token: alice.token });
    const received = await events.until((event) => event.body.data.body === 'marker');
    expect(received.map((event) => [event.routingKey, event.body.data.body])).toEqual([
      ['post.created', 'mine'],
      ['post.created', 'marker'],
    ]);
  });
});
