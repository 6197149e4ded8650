import { load, type LoadResult } from '../load.ts';
import { say } from '../progress.ts';
import type { SeedResult } from '../seed.ts';
import type { Stack } from '../stack.ts';

export interface SearchResult {
  connections: number;
  posts: LoadResult & { queries: string[] };
  users: LoadResult & { queries: string[] };
}

const SEARCH_POSTS =
  'query SearchPosts($q: String!) { searchPosts(query: $q, first: 20) { edges { node { id body author { handle } } } } }';
const SEARCH_USERS =
  'query SearchUsers($q: String!) { searchUsers(query: $q, first: 20) { edges { node { id handle displayName } } } }';

/** Scenario 5: searchPosts (words, two-word queries, hashtags) and searchUsers (name prefixes) at a fixed concurrency. */
export async function search(
  stack: Stack,
  seeded: SeedResult,
  config: { connections: number; seconds: number },
): Promise<SearchResult> {
  const token = seeded.readers[0]?.token;
  const postQueries = [
    ...seeded.words.slice(0, 20),
    ...seeded.tags.slice(0, 8),
    ...seeded.words.slice(20, 30).map((word, i) => `${word} ${seeded.words[(i * 7) % seeded.words.length]}`),
  ];
  const userQueries = seeded.namePrefixes;
  const tokens = token ? [token] : [];
  const posts = await load({
    url: stack.balancerUrl,
    query: SEARCH_POSTS,
    tokens,
    variables: (i) => ({ q: postQueries[i % postQueries.length] }),
    connections: config.connections,
    seconds: config.seconds,
    timeoutSeconds: 30,
  });
  say(
    `searchPosts c=${config.connections}: ${posts.requestsPerSecond} req/s, p50 ${posts.p50Ms} ms, p99 ${posts.p99Ms} ms, errors ${posts.errors}`,
  );
  const users = await load({
    url: stack.balancerUrl,
    query: SEARCH_USERS,
    tokens,
    variables: (i) => ({ q: userQueries[i % userQueries.length] }),
    connections: config.connections,
    seconds: config.seconds,
    timeoutSeconds: 30,
  });
  say(
    `searchUsers c=${config.connections}: ${users.requestsPerSecond} req/s, p50 ${users.p50Ms} ms, p99 ${users.p99Ms} ms, errors ${users.errors}`,
  );
  return {
    connections: config.connections,
    posts: { ...posts, queries: postQueries },
    users: { ...users, queries: userQueries },
  };
}
