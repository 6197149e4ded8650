import { useQuery } from '@apollo/client/react';
import { useCallback } from 'react';
import { ErrorNote } from '../components/ErrorNote.tsx';
import { FollowButton } from '../components/FollowButton.tsx';
import { LoadMore } from '../components/LoadMore.tsx';
import { PostItem } from '../components/PostItem.tsx';
import { UserRow } from '../components/UserRow.tsx';
import { describeError } from '../errors.ts';
import { Link, profilePath } from '../navigation.tsx';
import { FollowersQuery, FollowingQuery, ProfileQuery } from '../operations.ts';
import { useSession } from '../session-context.ts';

type Tab = 'posts' | 'followers' | 'following';

export function ProfileScreen({ handle, tab }: { handle: string; tab: Tab }) {
  const { session } = useSession();
  const profile = useQuery(ProfileQuery, {
    variables: { handle, first: 20 },
    // Counts change elsewhere all the time: show the cached profile at once, then the current one.
    fetchPolicy: 'cache-and-network',
    nextFetchPolicy: 'cache-first',
    notifyOnNetworkStatusChange: true,
  });
  const user = profile.data?.user;
  const { fetchMore } = profile;
  const endCursor = user?.posts.pageInfo.endCursor;
  const loadMore = useCallback(() => {
    if (endCursor) void fetchMore({ variables: { after: endCursor } }).catch(() => {});
  }, [endCursor, fetchMore]);

  if (profile.error)
    return (
      <Screen>
        <ErrorNote message={describeError(profile.error).message} />
      </Screen>
    );
  if (!user)
    return <Screen>{profile.loading ? <p className="muted">Loading…</p> : <h1>No one is called @{handle}</h1>}</Screen>;

  const base = profilePath(user.handle);
  return (
    <Screen>
      <section className="profile" aria-label="Profile">
        <h1>
          {user.displayName || user.handle} <span className="muted">@{user.handle}</span>
        </h1>
        {user.bio && <p>{user.bio}</p>}
        <p className="counts">
          <span>
            <strong>{user.postCount}</strong> posts
          </span>
          <Link to={`${base}/followers`}>
            <strong>{user.followerCount}</strong> followers
          </Link>
          <Link to={`${base}/following`}>
            <strong>{user.followingCount}</strong> following
          </Link>
        </p>
        {session?.userId !== user.id && <FollowButton user={user} />}
      </section>
      <nav className="tabs" aria-label="Profile sections">
        <Link to={base} aria-current={tab === 'posts' ? 'page' : undefined}>
          Posts
        </Link>
        <Link to={`${base}/followers`} aria-current={tab === 'followers' ? 'page' : undefined}>
          Followers
        </Link>
        <Link to={`${base}/following`} aria-current={tab === 'following' ? 'page' : undefined}>
          Following
        </Link>
      </nav>
      {tab === 'posts' && (
        <section aria-label={`Posts by @${user.handle}`} className="feed">
          {user.posts.edges.map(({ node }) => (
            <PostItem key={node.id} post={node} />
          ))}
          {user.posts.edges.length === 0 && <p className="muted empty">No posts yet.</p>}
          {user.posts.edges.length > 0 && (
            <LoadMore hasMore={user.posts.pageInfo.hasNextPage} loading={profile.loading} onLoadMore={loadMore} />
          )}
        </section>
      )}
      {tab !== 'posts' && <UserList handle={user.handle} which={tab} />}
    </Screen>
  );
}

function Screen({ children }: { children: React.ReactNode }) {
  return <main className="screen">{children}</main>;
}

function UserList({ handle, which }: { handle: string; which: 'followers' | 'following' }) {
  const followers = useQuery(FollowersQuery, {
    variables: { handle, first: 30 },
    skip: which !== 'followers',
    notifyOnNetworkStatusChange: true,
  });
  const following = useQuery(FollowingQuery, {
    variables: { handle, first: 30 },
    skip: which !== 'following',
    notifyOnNetworkStatusChange: true,
  });
  const result = which === 'followers' ? followers : following;
  const connection = which === 'followers' ? followers.data?.user?.followers : following.data?.user?.following;
  const endCursor = connection?.pageInfo.endCursor;
  const fetchMore = result.fetchMore as (options: { variables: { after: string } }) => Promise<unknown>;
  const loadMore = useCallback(() => {
    if (endCursor) void fetchMore({ variables: { after: endCursor } }).catch(() => {});
  }, [endCursor, fetchMore]);
  return (
    <section aria-label={which === 'followers' ? 'Followers' : 'Following'}>
      <ErrorNote message={result.error && describeError(result.error).message} />
      {connection?.edges.map(({ node }) => (
        <UserRow key={node.id} user={node} />
      ))}
      {connection?.edges.length === 0 && (
        <p className="muted empty">{which === 'followers' ? 'No followers yet.' : 'Not following anyone yet.'}</p>
      )}
      {connection && connection.edges.length > 0 && (
        <LoadMore hasMore={connection.pageInfo.hasNextPage} loading={result.loading} onLoadMore={loadMore} />
      )}
    </section>
  );
}
