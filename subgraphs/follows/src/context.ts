import DataLoader from 'dataloader';
import { parseObjectId } from '@micropost/mongo';
import { batchPageRequests, PAGE_LOADER_OPTIONS, type PageRequest, type RequestContext } from '@micropost/server';
import type { FollowCounts, FollowDocument, FollowStore } from './follow-store.ts';
import type { UserDirectory } from './user-directory.ts';

/** A `User` as this subgraph sees it: only the key. The users subgraph resolves the profile. */
export interface UserReference {
  id: string;
}

export interface FollowsContext extends RequestContext {
  readonly store: FollowStore;
  readonly directory: UserDirectory;
  /** Per request, so a page of users loads its counters in one query and nothing is cached across requests. */
  readonly countsByUser: DataLoader<string, FollowCounts>;
  /** `User.followers` and `User.following` under many users: one query per batch (per level of a nested query). */
  readonly followerPages: DataLoader<PageRequest, FollowDocument[], string>;
  readonly followingPages: DataLoader<PageRequest, FollowDocument[], string>;
  /** Whether the viewer follows each user, one query per batch; null when signed out. */
  readonly viewerFollows: DataLoader<string, boolean> | null;
}

export function createFollowsContext(
  request: RequestContext,
  store: FollowStore,
  directory: UserDirectory,
): FollowsContext {
  const viewerId = request.viewer ? parseObjectId(request.viewer.userId) : null;
  return {
    ...request,
    store,
    directory,
    countsByUser: new DataLoader((ids) => store.countsOf(ids)),
    followerPages: new DataLoader(
      batchPageRequests((ids, page) => store.followersOf(ids, page)),
      PAGE_LOADER_OPTIONS,
    ),
    followingPages: new DataLoader(
      batchPageRequests((ids, page) => store.followingOf(ids, page)),
      PAGE_LOADER_OPTIONS,
    ),
    viewerFollows: viewerId ? new DataLoader((ids) => store.followsEach(viewerId, ids)) : null,
  };
}
