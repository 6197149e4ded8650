import type { RequestContext } from '@micropost/server';
import type { PostIndex } from './post-index.ts';
import type { UserIndex } from './user-index.ts';

/** A `Post` as search returns it: only the key; the router fetches the rest from posts. */
export interface PostReference {
  id: string;
}

/** A `User` as search returns it: only the key; the router fetches the rest from users. */
export interface UserReference {
  id: string;
}

export interface SearchContext extends RequestContext {
  readonly posts: PostIndex;
  readonly users: UserIndex;
}

export function createSearchContext(request: RequestContext, posts: PostIndex, users: UserIndex): SearchContext {
  return { ...request, posts, users };
}
