import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql, registerAccount, type TestAccount } from '@micropost/testing';
import { createPost, startPostsGraph, type PostsTestGraph } from './helpers.ts';

const PAGE = /* GraphQL */ `
  query($handle: String!, $after: String) {
    user(handle: $handle) { posts(first: 10, after: $after) { edges { cursor node { id body createdAt } } pageInfo { endCursor hasNextPage } } }
  }`;

let env: PostsTestGraph;
let url: string;
let author: TestAccount;

beforeAll(async () => {
  env = await startPostsGraph();
  url = env.graph.url;
  author = await registerAccount(url, 'writer');
});
afterAll(async () => {
  await env?.stop();
});

interface Page {
  edges: { cursor: string; node: { id: string; createdAt: string } }[];
  pageInfo: { endCursor: string | null; hasNextPage: boolean };
}

async function page(after: string | null, handle = 'writer'): Promise<Page> {
  const response = await graphql(url, PAGE, { variables: { handle, after } });
  expect(response.errors).toBeUndefined();
  return response.data!.user.posts;
}

describe('User.posts pagination', () => {
  it('pages through exactly the posts that existed when paging began, newest first, while new posts keep arriving', async () => {
    // Sequential, so creation order is known; some share a millisecond, which the id breaks.
    const existing: string[] = [];
    for (let i = 0; i < 27; i++) existing.push((await createPost(url, author, `post ${i}`)).id);
    const newestFirst = [...existing].reverse();

    const seen: string[] = [];
    const arrivedDuringPaging: string[] = [];
    let after: string | null = null;
    for (let pageNumber = 0; ; pageNumber++) {
      // New posts are written before and while each page is read: they sort before the cursor, so no
      // page may show them, and (unlike offset paging) they cannot push older posts into a later page twice.
      // Paging begins with the first page; from then on posts are created before and during every read.
      if (pageNumber > 0) arrivedDuringPaging.push((await createPost(url, author, `new before page ${pageNumber}`)).id);
      const [current, ...created]: [Page, ...{ id: string }[]] = await Promise.all([
        page(after),
        ...Array.from({ length: pageNumber > 0 ? 3 : 0 }, (_, i) =>
          createPost(url, author, `new during page ${pageNumber}.${i}`),
        ),
      ]);
      arrivedDuringPaging.push(...created.map((post) => post.id));
      seen.push(...current.edges.map((edge) => edge.node.id));
      expect(current.pageInfo.endCursor).toBe(current.edges.at(-1)?.cursor ?? null);
      if (!current.pageInfo.hasNextPage) break;
      expect(current.edges).toHaveLength(10);
      after = current.pageInfo.endCursor;
      if (pageNumber > 5) throw new Error('paging does not end');
    }

    expect(arrivedDuringPaging).toHaveLength(8);
    expect(seen).toEqual(newestFirst);
  });

  it('orders posts written in the same millisecond by id, consistently across pages', async () => {
    const burst = await registerAccount(url, 'burst');
    const created = await Promise.all(Array.from({ length: 25 }, (_, i) => createPost(url, burst, `burst ${i}`)));
    const all: { id: string; createdAt: string }[] = [];
    let after: string | null = null;
    do {
      const current = await page(after, 'burst');
      all.push(...current.edges.map(({ node: { id, createdAt } }) => ({ id, createdAt })));
      after = current.pageInfo.hasNextPage ? current.pageInfo.endCursor : null;
    } while (after);
    const sorted = created
      .map(({ id, createdAt }) => ({ id, createdAt }))
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id));
    expect(all).toEqual(sorted);
  });
});
