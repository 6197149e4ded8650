import { BadUserInputError } from '@micropost/server';

/**
 * A resume point, opaque to clients (base64url). Interim format `e1:<event id>`: names the event
 * but no position in a retained history, so a well-formed cursor cannot be resumed from yet.
 */
const PREFIX = 'e1:';

export function encodeCursor(eventId: string): string {
  return Buffer.from(`${PREFIX}${eventId}`).toString('base64url');
}

/** The event a cursor names; a cursor this server did not make → BAD_USER_INPUT. */
export function decodeCursor(cursor: string): { readonly eventId: string } {
  const text = /^[A-Za-z0-9_-]{1,200}$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString() : '';
  if (!text.startsWith(PREFIX) || text.length === PREFIX.length) throw new BadUserInputError('Malformed cursor.');
  return { eventId: text.slice(PREFIX.length) };
}
