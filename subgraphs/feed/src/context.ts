import type { RequestContext } from '@micropost/server';
import type { TimelineStore } from './timeline-store.ts';

/** A post as this subgraph knows it: an id the posts subgraph resolves (`Post` is not resolvable here). */
export interface PostReference {
  readonly __typename?: 'Post';
  readonly id: string;
}

export interface FeedContext extends RequestContext {
  readonly timelines: TimelineStore;
}

export function createFeedContext(request: RequestContext, timelines: TimelineStore): FeedContext {
  return { ...request, timelines };
}
