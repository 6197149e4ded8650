import DataLoader from 'dataloader';
import { parseObjectId } from '@micropost/mongo';
import type { RequestContext } from '@micropost/server';
import type { FollowCounts, FollowStore } from './follow-store.ts';
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
    viewerFollows: viewerId ? new DataLoader((ids) => store.followsEach(viewerId, ids)) : null,
  };
}
