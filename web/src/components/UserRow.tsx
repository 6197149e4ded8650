import type { UserSummaryFragment } from '../gql/graphql.ts';
import { Link, profilePath } from '../navigation.tsx';
import { useSession } from '../session-context.ts';
import { FollowButton } from './FollowButton.tsx';

export function UserRow({ user }: { user: UserSummaryFragment }) {
  const { session } = useSession();
  return (
    <div className="user-row">
      <Link to={profilePath(user.handle)} className="author">
        <strong>{user.displayName || user.handle}</strong> <span className="muted">@{user.handle}</span>
      </Link>
      {user.bio && <p className="muted bio">{user.bio}</p>}
      {session?.userId !== user.id && <FollowButton user={user} />}
    </div>
  );
}
