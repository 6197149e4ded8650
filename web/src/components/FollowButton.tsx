import { useMutation } from '@apollo/client/react';
import { useState } from 'react';
import { describeError } from '../errors.ts';
import { FollowMutation, UnfollowMutation } from '../operations.ts';
import { ErrorNote } from './ErrorNote.tsx';

export function FollowButton({
  user,
}: {
  user: { id: string; handle: string; viewerFollows: boolean; followerCount?: number };
}) {
  const [follow] = useMutation(FollowMutation);
  const [unfollow] = useMutation(UnfollowMutation);
  const [error, setError] = useState<string | null>(null);
  const toggle = async () => {
    setError(null);
    const following = !user.viewerFollows;
    const optimistic = {
      __typename: 'User' as const,
      id: user.id,
      viewerFollows: following,
      followerCount: Math.max(0, (user.followerCount ?? 0) + (following ? 1 : -1)),
    };
    try {
      if (following) await follow({ variables: { userId: user.id }, optimisticResponse: { follow: optimistic } });
      else await unfollow({ variables: { userId: user.id }, optimisticResponse: { unfollow: optimistic } });
    } catch (e) {
      setError(describeError(e).message);
    }
  };
  return (
    <>
      <button
        type="button"
        className={user.viewerFollows ? 'follow following' : 'follow'}
        aria-pressed={user.viewerFollows}
        aria-label={`${user.viewerFollows ? 'Unfollow' : 'Follow'} @${user.handle}`}
        onClick={toggle}
      >
        {user.viewerFollows ? 'Following' : 'Follow'}
      </button>
      <ErrorNote message={error} />
    </>
  );
}
