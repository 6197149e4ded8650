import { characterCount, requireText } from '@micropost/server';

export const POST_BODY_MAX = 280;

/** Counted in code points, as every text of the API (an emoji outside the BMP is one). */
export { characterCount };

/** A post body is trimmed and then 1–280 characters; tab and newline are its only control characters. */
export function requirePostBody(raw: string): string {
  return requireText(raw, { name: 'A post', min: 1, max: POST_BODY_MAX, multiline: true });
}
