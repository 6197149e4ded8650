import { useMutation, useSubscription } from '@apollo/client/react';
import { useRef, useState } from 'react';
import { describeError } from '../errors.ts';
import type { PostFieldsFragment } from '../gql/graphql.ts';
import { Link, profilePath } from '../navigation.tsx';
import { removePost } from '../feed-cache.ts';
import { DeletePostMutation, LikePostMutation, PostActivitySubscription, UnlikePostMutation } from '../operations.ts';
import { useSession } from '../session-context.ts';
import { ErrorNote } from './ErrorNote.tsx';
import { PostBody } from './PostBody.tsx';
import { useVisible } from './useVisible.ts';

const timeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

export function PostItem({ post }: { post: PostFieldsFragment }) {
  const { session } = useSession();
  const ref = useRef<HTMLElement>(null);
  // Live counts only for posts on screen: one subscription per visible post, not per loaded post.
  const visible = useVisible(ref);
  useSubscription(PostActivitySubscription, { variables: { postId: post.id }, skip: !visible });
  const [error, setError] = useState<string | null>(null);
  const [like] = useMutation(LikePostMutation);
  const [unlike] = useMutation(UnlikePostMutation);
  const [remove, { loading: removing }] = useMutation(DeletePostMutation);

  const toggleLike = async () => {
    setError(null);
    const liked = !post.viewerHasLiked;
    const optimistic = {
      __typename: 'Post' as const,
      id: post.id,
      likeCount: Math.max(0, post.likeCount + (liked ? 1 : -1)),
      viewerHasLiked: liked,
    };
    try {
      if (liked) await like({ variables: { postId: post.id }, optimisticResponse: { likePost: optimistic } });
      else await unlike({ variables: { postId: post.id }, optimisticResponse: { unlikePost: optimistic } });
    } catch (e) {
      setError(describeError(e).message);
    }
  };
  const deletePost = async () => {
    setError(null);
    try {
      await remove({ variables: { id: post.id }, update: (cache) => removePost(cache, post.id) });
    } catch (e) {
      setError(describeError(e).message);
    }
  };

  const author = post.author;
  return (
    <article className="post" ref={ref} aria-label={`Post by @${author.handle}`}>
      <header>
        <Link to={profilePath(author.handle)} className="author">
          <strong>{author.displayName || author.handle}</strong> <span className="muted">@{author.handle}</span>
        </Link>
        <time className="muted" dateTime={post.createdAt}>
          {timeFormat.format(new Date(post.createdAt))}
        </time>
      </header>
      <PostBody body={post.body} />
      <footer>
        <button
          type="button"
          className={post.viewerHasLiked ? 'like liked' : 'like'}
          aria-pressed={post.viewerHasLiked}
          aria-label={post.viewerHasLiked ? 'Unlike' : 'Like'}
          onClick={toggleLike}
        >
          <span aria-hidden="true">{post.viewerHasLiked ? '♥' : '♡'}</span>
        </button>
        <span className="like-count">
          <span aria-hidden="true">{post.likeCount}</span>
          <span className="visually-hidden">{`${post.likeCount} ${post.likeCount === 1 ? 'like' : 'likes'}`}</span>
        </span>
        {session?.userId === author.id && (
          <button type="button" className="link-button danger" onClick={deletePost} disabled={removing}>
            Delete
          </button>
        )}
      </footer>
      <ErrorNote message={error} />
    </article>
  );
}
