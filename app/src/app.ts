import { feedSubgraph } from '@micropost/feed';
import { followsSubgraph } from '@micropost/follows';
import { postsSubgraph } from '@micropost/posts';
import { startGraph, type RunningGraph } from '@micropost/router/graph';
import { searchSubgraph } from '@micropost/search';
import { usersSubgraph } from '@micropost/users';

/** Every subgraph a server runs (realtime is schema only: the router executes it). */
export const ALL_SUBGRAPHS = [usersSubgraph, postsSubgraph, followsSubgraph, feedSubgraph, searchSubgraph] as const;

/** A whole Micropost server: servers are identical and stateless, so any number can run side by side. */
export function startApp(env: Readonly<Record<string, string | undefined>> = process.env): Promise<RunningGraph> {
  return startGraph(env, ALL_SUBGRAPHS);
}
