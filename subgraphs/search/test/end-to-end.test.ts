import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestServices, graphql, waitFor, type TestServices } from '@micropost/testing';
import { startTestGraph, type TestGraph } from '@micropost/app/testing';
import { postsSubgraph } from '@micropost/posts';
import { usersSubgraph } from '@micropost/users';
import { searchSubgraph } from '../src/subgraph.ts';

let services: TestServices;
let graph: TestGraph;

beforeAll(async () => {
  services = await createTestServices();
  graph = await startTestGraph(services.env(), [usersSubgraph, postsSubgraph, searchSubgraph]);
});
afterAll(async () => {
  await graph?.stop();
  await services?.dispose();
});

async function ok<T = Record<string, any>>(query: string, options: Parameters<typeof graphql>[2] = {}): Promise<T> {
  const response = await graphql<T>(graph.url, query, options);
  if (response.errors) throw new Error(JSON.stringify(response.errors));
  return response.data!;
}

const SEARCH_POSTS = `query($q: String!) { searchPosts(query: $q) { edges { node { id body author { handle } } } } }`;
const SEARCH_USERS = `query($q: String!) { searchUsers(query: $q) { edges { node { id handle displayName } } } }`;

describe('search through the whole graph', () => {
  it('finds what people post and who they are, and follows deletes and renames', async () => {
    const alice = (
      await ok(
        `mutation { register(handle: "alice", password: "correct horse", displayName: "Alice Liddell") { token user { id } } }`,
      )
    ).register;
    const alicia = (
      await ok(
        `mutation { register(handle: "alicia", password: "correct horse", displayName: "Alicia Keys") { token user { id } } }`,
      )
    ).register;

    const first = (
      await ok(`mutation { createPost(body: "Down the rabbit hole #Wonderland") { id } }`, { token: alice.token })
    ).createPost;
    const second = (
      await ok(`mutation { createPost(body: "A mad TEA party in wonderland") { id } }`, { token: alice.token })
    ).createPost;

    const posts = await waitFor(
      async () => {
        const edges = (await ok(SEARCH_POSTS, { variables: { q: 'wonderland' } })).searchPosts.edges;
        return edges.length === 2 ? edges : undefined;
      },
      { message: 'the posts never became searchable' },
    );
    expect(posts).toEqual([
      { node: { id: second.id, body: 'A mad TEA party in wonderland', author: { handle: 'alice' } } },
      { node: { id: first.id, body: 'Down the rabbit hole #Wonderland', author: { handle: 'alice' } } },
    ]);
    expect(
      (await ok(SEARCH_POSTS, { variables: { q: '#wonderland' } })).searchPosts.edges.map((e: any) => e.node.id),
    ).toEqual([first.id]);
    expect(
      (await ok(SEARCH_POSTS, { variables: { q: 'tea Party' } })).searchPosts.edges.map((e: any) => e.node.id),
    ).toEqual([second.id]);

    await ok(`mutation($id: ID!) { deletePost(id: $id) }`, { token: alice.token, variables: { id: first.id } });
    await waitFor(async () => (await ok(SEARCH_POSTS, { variables: { q: 'rabbit' } })).searchPosts.edges.length === 0, {
      message: 'the deleted post stayed searchable',
    });

    await waitFor(async () => (await ok(SEARCH_USERS, { variables: { q: 'ali' } })).searchUsers.edges.length === 2, {
      message: 'the users never became searchable',
    });
    expect((await ok(SEARCH_USERS, { variables: { q: 'alicia' } })).searchUsers.edges).toEqual([
      { node: { id: alicia.user.id, handle: 'alicia', displayName: 'Alicia Keys' } },
    ]);

    await ok(`mutation { updateProfile(displayName: "Queen of Hearts") { id } }`, { token: alice.token });
    const renamed = await waitFor(
      async () => {
        const edges = (await ok(SEARCH_USERS, { variables: { q: 'queen' } })).searchUsers.edges;
        return edges.length === 1 ? edges : undefined;
      },
      { message: 'the rename never reached search' },
    );
    expect(renamed).toEqual([{ node: { id: alice.user.id, handle: 'alice', displayName: 'Queen of Hearts' } }]);
    expect((await ok(SEARCH_USERS, { variables: { q: 'liddell' } })).searchUsers.edges).toEqual([]);
  });
});
