import { Link, profilePath, searchPath } from '../navigation.tsx';
import { splitBody } from '../text.ts';

/** A post's text with #hashtags (to search) and @mentions (to profiles) as links. */
export function PostBody({ body }: { body: string }) {
  return (
    <p className="post-body">
      {splitBody(body).map((part, index) =>
        part.kind === 'text' ? (
          part.text
        ) : (
          // biome-ignore lint/suspicious/noArrayIndexKey: the parts of an unchanging body never move.
          <Link key={index} to={part.kind === 'hashtag' ? searchPath(`#${part.tag}`) : profilePath(part.handle)}>
            {part.text}
          </Link>
        ),
      )}
    </p>
  );
}
