import { useQuery } from '@apollo/client/react';
import { type FormEvent, useCallback, useEffect, useState } from 'react';
import { ErrorNote } from '../components/ErrorNote.tsx';
import { LoadMore } from '../components/LoadMore.tsx';
import { PostItem } from '../components/PostItem.tsx';
import { UserRow } from '../components/UserRow.tsx';
import { describeError } from '../errors.ts';
import { navigate, searchPath, useLocation } from '../navigation.tsx';
import { SearchPostsQuery, SearchUsersQuery } from '../operations.ts';

export function SearchScreen() {
  const location = useLocation();
  const query = new URLSearchParams(location.split('?')[1] ?? '').get('q')?.trim() ?? '';
  const [draft, setDraft] = useState(query);
  useEffect(() => setDraft(query), [query]);
  const skip = query === '';
  const users = useQuery(SearchUsersQuery, { variables: { query, first: 10 }, skip });
  const posts = useQuery(SearchPostsQuery, {
    variables: { query, first: 20 },
    skip,
    notifyOnNetworkStatusChange: true,
  });
  const connection = posts.data?.searchPosts;
  const { fetchMore } = posts;
  const loadMore = useCallback(() => {
    if (connection?.pageInfo.endCursor)
      void fetchMore({ variables: { after: connection.pageInfo.endCursor } }).catch(() => {});
  }, [connection?.pageInfo.endCursor, fetchMore]);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    navigate(searchPath(draft.trim()), { replace: query !== '' });
  };
  const error = users.error ?? posts.error;

  return (
    <main className="screen">
      <h1>Search</h1>
      {/* biome-ignore lint/a11y/useSemanticElements: role=search on a form is the ARIA pattern; <search> is too new for some browsers. */}
      <form role="search" onSubmit={submit} className="search-form">
        <input
          type="search"
          aria-label="Search people and posts"
          placeholder="People, words or #hashtags"
          value={draft}
          onChange={(e) => setDraft(e.target.value)}
        />
        <button type="submit">Search</button>
      </form>
      <ErrorNote message={error && describeError(error).message} />
      {!skip && (
        <>
          <section aria-label="People">
            <h2>People</h2>
            {users.data?.searchUsers.edges.map(({ node }) => (
              <UserRow key={node.id} user={node} />
            ))}
            {users.data?.searchUsers.edges.length === 0 && <p className="muted">No one matches “{query}”.</p>}
          </section>
          <section aria-label="Posts">
            <h2>Posts</h2>
            {connection?.edges.map(({ node }) => (
              <PostItem key={node.id} post={node} />
            ))}
            {connection?.edges.length === 0 && <p className="muted">No posts match “{query}”.</p>}
            {connection && connection.edges.length > 0 && (
              <LoadMore hasMore={connection.pageInfo.hasNextPage} loading={posts.loading} onLoadMore={loadMore} />
            )}
          </section>
        </>
      )}
    </main>
  );
}
