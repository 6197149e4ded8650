import type { Resolvers } from './__generated__/resolvers-types.ts';
import {
  decodePostCursor,
  decodeUserCursor,
  encodePostCursor,
  encodeUserCursor,
  readFirst,
  readPostQuery,
  readUserQuery,
} from './query-rules.ts';

export const resolvers: Resolvers = {
  Query: {
    searchPosts: async (_parent, { query, first, after }, context) => {
      const { terms } = readPostQuery(query);
      const size = readFirst(first);
      const { hits, resumeAt } = await context.posts.search(terms, size, decodePostCursor(after));
      const edges = hits.slice(0, size).map((hit) => ({ cursor: encodePostCursor(hit), node: { id: hit.id } }));
      const hasNextPage = hits.length > size || resumeAt !== null;
      // A walk cut short by its budget resumes where it stopped, which may be past the last edge.
      const endCursor =
        hits.length <= size && resumeAt !== null ? encodePostCursor(resumeAt) : (edges.at(-1)?.cursor ?? null);
      return { edges, pageInfo: { endCursor, hasNextPage } };
    },

    searchUsers: async (_parent, { query, first, after }, context) => {
      const { words, handle } = readUserQuery(query);
      const size = readFirst(first);
      const { hits, resumeAt } = await context.users.search(words, handle, size, decodeUserCursor(after));
      const edges = hits.slice(0, size).map((hit) => ({ cursor: encodeUserCursor(hit), node: { id: hit.id } }));
      const hasNextPage = hits.length > size || resumeAt !== null;
      const endCursor =
        hits.length <= size && resumeAt !== null ? encodeUserCursor(resumeAt) : (edges.at(-1)?.cursor ?? null);
      return { edges, pageInfo: { endCursor, hasNextPage } };
    },
  },
};
