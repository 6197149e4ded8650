/** The server's limit: 1–280 characters after trimming, counted as code points (an emoji is one). */
export const MAX_POST_LENGTH = 280;

export function postLength(body: string): number {
  return [...body.trim()].length;
}

export interface Counter {
  readonly length: number;
  readonly remaining: number;
  /** True when the post may be sent: not blank and within the limit. */
  readonly valid: boolean;
}

export function countPost(body: string): Counter {
  const length = postLength(body);
  return { length, remaining: MAX_POST_LENGTH - length, valid: length > 0 && length <= MAX_POST_LENGTH };
}

export type BodyPart =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'hashtag'; readonly text: string; readonly tag: string }
  | { readonly kind: 'mention'; readonly text: string; readonly handle: string };

/** Splits a post body into plain text, #hashtags and @mentions (rendered as links). */
export function splitBody(body: string): BodyPart[] {
  const parts: BodyPart[] = [];
  let last = 0;
  for (const match of body.matchAll(/(^|[^\p{L}\p{N}_])([#@])([\p{L}\p{N}_]+)/gu)) {
    const start = match.index + match[1]!.length;
    if (start > last) parts.push({ kind: 'text', text: body.slice(last, start) });
    const word = match[3]!;
    const text = `${match[2]}${word}`;
    parts.push(
      match[2] === '#'
        ? { kind: 'hashtag', text, tag: word.toLowerCase() }
        : { kind: 'mention', text, handle: word.toLowerCase() },
    );
    last = start + text.length;
  }
  if (last < body.length) parts.push({ kind: 'text', text: body.slice(last) });
  return parts;
}
