import { createHash } from 'node:crypto';
import { BadUserInputError } from '@micropost/server';

/**
 * A resume point, opaque to clients: base64url of `1.<stream offset>.<tag>`, where the tag is a
 * hash of the event id at that offset. Resuming reads the offset back and checks the tag, so a
 * cursor from a stream that was since recreated (offsets reused by other events) is detected.
 */
const VERSION = '1';

export interface Cursor {
  readonly offset: number;
  readonly tag: string;
}

export function eventTag(eventId: string): string {
  return createHash('sha256').update(eventId).digest('base64url').slice(0, 11);
}

export function encodeCursor(offset: number, eventId: string): string {
  return Buffer.from(`${VERSION}.${offset}.${eventTag(eventId)}`).toString('base64url');
}

/** The position a cursor names; a cursor this server did not make → BAD_USER_INPUT. */
export function decodeCursor(cursor: string): Cursor {
  const text = /^[A-Za-z0-9_-]{1,64}$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString() : '';
  const match = /^1\.(0|[1-9][0-9]{0,15})\.([A-Za-z0-9_-]{11})$/.exec(text);
  const offset = Number(match?.[1]);
  if (!match || !Number.isSafeInteger(offset)) throw new BadUserInputError('Malformed cursor.');
  return { offset, tag: match[2]! };
}
