// The isolation scenario's subgraphs: the real schema.graphql of every served subgraph (from the
// registry), with resolvers answering from memory, so a gateway's own cost is what the load measures.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, type DocumentNode } from 'graphql';
import { repoRoot } from '@micropost/infra';
import { UnauthenticatedError, type RequestContext } from '@micropost/server';
import { SERVED_SUBGRAPHS, schemaFile } from '../../../subgraphs/registry.ts';

export const MOCK_USERS = 2_000;
const POSTS_PER_USER = 40;
const PAGE = 20;
const EPOCH = Date.parse('2026-11-01T00:00:00.000Z');

export interface MockSubgraph {
  readonly name: string;
  readonly typeDefs: DocumentNode;
  readonly resolvers: Record<string, any>;
  readonly createContext: (request: RequestContext) => RequestContext;
}

const userId = (index: number) => `u${index}`;
const userIndex = (id: string) => Number(id.slice(1)) % MOCK_USERS;
const postId = (index: number) => `p${index}`;
const postIndex = (id: string) => Number(id.slice(1));
/** A small deterministic hash: the same ids give the same answers in every gateway's run. */
const hash = (text: string) => {
  let value = 2166136261;
  for (let i = 0; i < text.length; i++) value = Math.imul(value ^ text.charCodeAt(i), 16777619);
  return value >>> 0;
};
const WORDS =
  'the quick brown fox jumps over lazy dogs while micropost users write short notes about coffee, code and cats'
    .split(' ')
    .filter(Boolean);

const user = (index: number) => ({
  id: userId(index),
  handle: `user_${index}`,
  displayName: `User ${index}`,
  bio: `Writes about ${WORDS[index % WORDS.length]} and ${WORDS[(index * 7) % WORDS.length]}.`,
  avatarUrl: index % 3 === 0 ? null : `https://example.com/avatars/${index}.png`,
  createdAt: new Date(EPOCH + index * 60_000).toISOString(),
});
const post = (index: number) => {
  const words = Array.from({ length: 18 + (index % 20) }, (_, i) => WORDS[(index + i * 5) % WORDS.length]);
  return {
    id: postId(index),
    authorId: userId(index % MOCK_USERS),
    body: `${words.join(' ')} #tag${index % 50}`,
    createdAt: new Date(EPOCH + index * 1_000).toISOString(),
    likeCount: hash(`likes${index}`) % 400,
  };
};
const USERS = Array.from({ length: MOCK_USERS }, (_, index) => user(index));
const POSTS = Array.from({ length: MOCK_USERS * POSTS_PER_USER }, (_, index) => post(index));

const connection = <T>(nodes: T[], cursorOf: (node: T) => string) => ({
  edges: nodes.map((node) => ({ cursor: cursorOf(node), node })),
  pageInfo: { endCursor: nodes.length ? cursorOf(nodes[nodes.length - 1]!) : null, hasNextPage: true },
});
const pageOf = (first: number | null | undefined, after: string | null | undefined, seed: number, size: number) => {
  const start = (after ? Number(after) + 1 : seed) % size;
  return Array.from({ length: Math.min(first ?? PAGE, 100) }, (_, i) => (start + i) % size);
};
const postRefs = (indexes: number[]) =>
  connection(
    indexes.map((index) => ({ id: postId(index) })),
    (node) => node.id.slice(1),
  );
const userRefs = (indexes: number[]) =>
  connection(
    indexes.map((index) => ({ id: userId(index) })),
    (node) => node.id.slice(1),
  );
const viewerOf = (context: RequestContext) => context.viewer?.userId ?? null;

const RESOLVERS: Record<string, Record<string, any>> = {
  users: {
    Query: {
      me: (_: unknown, __: unknown, context: RequestContext) => {
        const viewer = viewerOf(context);
        return viewer ? USERS[userIndex(viewer)] : null;
      },
      user: (_: unknown, args: { id?: string; handle?: string }) =>
        args.id
          ? USERS[userIndex(args.id)]
          : args.handle?.startsWith('user_')
            ? USERS[Number(args.handle.slice(5)) % MOCK_USERS]
            : null,
    },
    User: { __resolveReference: (reference: { id: string }) => USERS[userIndex(reference.id)] },
  },
  posts: {
    Query: { post: (_: unknown, args: { id: string }) => POSTS[postIndex(args.id) % POSTS.length] },
    Post: {
      __resolveReference: (reference: { id: string }) => POSTS[postIndex(reference.id) % POSTS.length],
      author: (parent: { authorId: string }) => ({ id: parent.authorId }),
      viewerHasLiked: (parent: { id: string }, _: unknown, context: RequestContext) => {
        const viewer = viewerOf(context);
        return viewer !== null && hash(viewer + parent.id) % 4 === 0;
      },
    },
    User: {
      __resolveReference: (reference: { id: string }) => ({ id: reference.id }),
      posts: (parent: { id: string }, args: { first?: number; after?: string }) => {
        const author = userIndex(parent.id);
        const pages = pageOf(args.first, args.after, 0, POSTS_PER_USER);
        return connection(
          pages.map((i) => POSTS[author + i * MOCK_USERS]!),
          (node) => node.id.slice(1),
        );
      },
      postCount: () => POSTS_PER_USER,
    },
  },
  follows: {
    User: {
      __resolveReference: (reference: { id: string }) => ({ id: reference.id }),
      followerCount: (parent: { id: string }) => hash(`followers${parent.id}`) % 5_000,
      followingCount: (parent: { id: string }) => hash(`following${parent.id}`) % 300,
      viewerFollows: (parent: { id: string }, _: unknown, context: RequestContext) => {
        const viewer = viewerOf(context);
        return viewer !== null && hash(viewer + parent.id) % 3 === 0;
      },
      followers: (parent: { id: string }, args: { first?: number; after?: string }) =>
        userRefs(pageOf(args.first, args.after, hash(parent.id), MOCK_USERS)),
      following: (parent: { id: string }, args: { first?: number; after?: string }) =>
        userRefs(pageOf(args.first, args.after, hash(`f${parent.id}`), MOCK_USERS)),
    },
  },
  feed: {
    Query: {
      homeFeed: (_: unknown, args: { first?: number; after?: string }, context: RequestContext) => {
        const viewer = viewerOf(context);
        if (!viewer) throw new UnauthenticatedError();
        return postRefs(pageOf(args.first, args.after, hash(viewer) % POSTS.length, POSTS.length));
      },
    },
  },
  search: {
    Query: {
      searchPosts: (_: unknown, args: { query: string; first?: number; after?: string }) =>
        postRefs(pageOf(args.first, args.after, hash(args.query) % POSTS.length, POSTS.length)),
      searchUsers: (_: unknown, args: { query: string; first?: number; after?: string }) =>
        userRefs(pageOf(args.first, args.after, hash(args.query), MOCK_USERS)),
    },
  },
};

/** Every served subgraph of the registry, with its real schema and in-memory resolvers. */
export function mockSubgraphs(): MockSubgraph[] {
  return SERVED_SUBGRAPHS.map((entry) => {
    const resolvers = RESOLVERS[entry.name];
    if (!resolvers) throw new Error(`no in-memory resolvers for the ${entry.name} subgraph`);
    return {
      name: entry.name,
      typeDefs: parse(readFileSync(join(repoRoot, schemaFile(entry)), 'utf8')),
      resolvers,
      createContext: (request) => request,
    };
  });
}

export const mockUserId = userId;

/** The operations the scenario sends: the bench's homeFeed, one search, the web client's profile page. */
export const ROUTER_OPERATIONS = [
  {
    name: 'homeFeed',
    query:
      'query HomeFeed { homeFeed(first: 20) { edges { node { body likeCount viewerHasLiked author { handle followerCount viewerFollows } } } } }',
    variables: {},
  },
  {
    name: 'search',
    query:
      'query SearchPosts($q: String!) { searchPosts(query: $q, first: 20) { edges { node { id body author { handle } } } } }',
    variables: { q: 'coffee #tag7' },
  },
  {
    name: 'profile',
    query: `query Profile($handle: String!, $first: Int!, $after: String) {
  user(handle: $handle) { ...UserSummary createdAt postCount followerCount followingCount
    posts(first: $first, after: $after) { edges { cursor node { ...PostFields } } pageInfo { endCursor hasNextPage } } }
}
fragment PostFields on Post { id body createdAt likeCount viewerHasLiked author { id handle displayName } }
fragment UserSummary on User { id handle displayName bio viewerFollows }`,
    variables: { handle: 'user_42', first: 20 },
  },
] as const;
