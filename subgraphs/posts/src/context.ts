import DataLoader from 'dataloader';
import { batchPageRequests, PAGE_LOADER_OPTIONS, type PageRequest, type RequestContext } from '@micropost/server';
import type { LikeStore } from './like-store.ts';
import type { PostDocument, PostStore } from './post-store.ts';

/** A `User` as this subgraph knows it: only the key; the users subgraph owns the rest. */
export interface UserReference {
  id: string;
}

export interface PostsContext extends RequestContext {
  readonly posts: PostStore;
  readonly likes: LikeStore;
  /**
   * Per request, so each kind of per-item field costs one query per batch (not per item) and
   * nothing is cached across requests.
   */
  readonly postById: DataLoader<string, PostDocument | null>;
  readonly postCountByAuthor: DataLoader<string, number>;
  /** `User.posts` under many users: one query per batch (per level of a nested query). */
  readonly postPages: DataLoader<PageRequest, PostDocument[], string>;
  /** Whether the viewer likes each post; always false, without a query, when signed out. */
  readonly viewerLikes: DataLoader<string, boolean>;
}

const byLowercase = { cacheKeyFn: (id: string) => id.toLowerCase() };
export function createPostsContext(request: RequestContext, posts: PostStore, likes: LikeStore): PostsContext {
  const viewerId = request.viewer?.userId ?? null;
  return {
    ...request,
    posts,
    likes,
    postById: new DataLoader((ids) => posts.findByIds(ids), byLowercase),
    postCountByAuthor: new DataLoader((authorIds) => posts.postCounts(authorIds)),
    postPages: new DataLoader(
      batchPageRequests((authorIds, page) => posts.pagesByAuthors(authorIds, page)),
      PAGE_LOADER_OPTIONS,
    ),
    viewerLikes: new DataLoader(
      async (postIds) => (viewerId === null ? postIds.map(() => false) : likes.likedBy(viewerId, postIds)),
      byLowercase,
    ),
  };
}
