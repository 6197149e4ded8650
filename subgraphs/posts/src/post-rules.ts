import { BadUserInputError } from '@micropost/server';

export const POST_BODY_MAX = 280;

/**
 * Characters as a person counts them: Unicode code points, so an emoji outside the BMP counts once
 * (`'😀'.length` is 2 UTF-16 units).
 */
export function characterCount(text: string): number {
  return [...text].length;
}

/** A post body is trimmed and then 1–280 characters. */
export function requirePostBody(raw: string): string {
  const body = raw.trim();
  const length = characterCount(body);
  if (length < 1 || length > POST_BODY_MAX)
    throw new BadUserInputError(`A post is 1–${POST_BODY_MAX} characters after trimming (this one has ${length}).`);
  return body;
}
