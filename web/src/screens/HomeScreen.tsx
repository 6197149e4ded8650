import { useApolloClient, useQuery } from '@apollo/client/react';
import { useCallback } from 'react';
import type { ConnectionStatus } from '../apollo.ts';
import { Composer } from '../components/Composer.tsx';
import { ErrorNote } from '../components/ErrorNote.tsx';
import { LoadMore } from '../components/LoadMore.tsx';
import { PostItem } from '../components/PostItem.tsx';
import { describeError } from '../errors.ts';
import { addToHomeFeed } from '../feed-cache.ts';
import { useLiveFeed } from '../live-feed.ts';
import { HomeFeedQuery } from '../operations.ts';

export const PAGE_SIZE = 20;

export function HomeScreen({ status }: { status: ConnectionStatus }) {
  const client = useApolloClient();
  const { data, loading, error, fetchMore, refetch } = useQuery(HomeFeedQuery, {
    variables: { first: PAGE_SIZE },
    // Coming back to the feed shows what is cached at once and what arrived meanwhile right after.
    fetchPolicy: 'cache-and-network',
    nextFetchPolicy: 'cache-first',
    notifyOnNetworkStatusChange: true,
  });
  const refetchFirstPage = useCallback(() => void refetch().catch(() => {}), [refetch]);
  useLiveFeed(status, refetchFirstPage);

  const connection = data?.homeFeed;
  const loadMore = useCallback(() => {
    if (!connection?.pageInfo.endCursor) return;
    void fetchMore({ variables: { after: connection.pageInfo.endCursor } }).catch(() => {});
  }, [connection?.pageInfo.endCursor, fetchMore]);

  return (
    <main className="screen">
      <h1>Home</h1>
      <Composer onPosted={(post) => addToHomeFeed(client.cache, post)} />
      <ErrorNote message={error && describeError(error).message} />
      <section aria-label="Home feed" className="feed">
        {connection?.edges.map(({ node }) => (
          <PostItem key={node.id} post={node} />
        ))}
        {connection && connection.edges.length === 0 && (
          <p className="muted empty">Your feed is empty. Post something, or find people to follow in Search.</p>
        )}
      </section>
      {connection && (
        <LoadMore
          hasMore={connection.pageInfo.hasNextPage}
          loading={loading}
          onLoadMore={loadMore}
          label="Load older posts"
        />
      )}
      {!connection && loading && <p className="muted">Loading your feed…</p>}
    </main>
  );
}
