import { useMutation } from '@apollo/client/react';
import { type FormEvent, useId, useState } from 'react';
import { describeError } from '../errors.ts';
import type { PostFieldsFragment } from '../gql/graphql.ts';
import { CreatePostMutation } from '../operations.ts';
import { countPost, MAX_POST_LENGTH } from '../text.ts';
import { ErrorNote } from './ErrorNote.tsx';

export function Composer({ onPosted }: { onPosted: (post: PostFieldsFragment) => void }) {
  const [body, setBody] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [createPost, { loading }] = useMutation(CreatePostMutation);
  const counterId = useId();
  const counter = countPost(body);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!counter.valid) {
      setError(counter.length === 0 ? 'Write something first.' : `Posts are at most ${MAX_POST_LENGTH} characters.`);
      return;
    }
    setError(null);
    try {
      const result = await createPost({ variables: { body } });
      if (result.data) onPosted(result.data.createPost);
      setBody('');
    } catch (e) {
      setError(describeError(e).message);
    }
  };

  return (
    <form className="composer" onSubmit={submit} aria-label="New post">
      <textarea
        aria-label="What's happening?"
        aria-describedby={counterId}
        placeholder="What's happening?"
        value={body}
        rows={3}
        onChange={(event) => setBody(event.target.value)}
        onKeyDown={(event) => {
          // Ctrl/Cmd+Enter posts, as people expect from a composer.
          if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) void submit(event);
        }}
      />
      <div className="composer-actions">
        <span
          id={counterId}
          className={counter.remaining < 0 ? 'counter over' : counter.remaining <= 20 ? 'counter near' : 'counter'}
          aria-live="polite"
        >
          {counter.remaining < 0
            ? `${-counter.remaining} characters over the limit`
            : `${counter.remaining} characters left`}
        </span>
        <button type="submit" disabled={loading || !counter.valid}>
          {loading ? 'Posting…' : 'Post'}
        </button>
      </div>
      <ErrorNote message={error} />
    </form>
  );
}
