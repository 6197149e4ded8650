import { CombinedGraphQLErrors, ServerError } from '@apollo/client';
import { describe, expect, it } from 'vitest';
import { describeError } from '../src/errors.ts';

const graphqlError = (code: string, message = 'server says', extensions: Record<string, unknown> = {}) =>
  new CombinedGraphQLErrors({ data: null, errors: [{ message, extensions: { code, ...extensions } }] });

describe('friendly error messages', () => {
  it('says when to retry after RATE_LIMITED', () => {
    expect(describeError(graphqlError('RATE_LIMITED', 'Too many', { retryAfterSeconds: 2.5 }))).toEqual({
      code: 'RATE_LIMITED',
      message: "You're going a little fast. Try again in 3 s.",
      signOut: false,
    });
    const refused = new ServerError('429', { response: new Response('', { status: 429 }), bodyText: '' });
    expect(describeError(refused).code).toBe('RATE_LIMITED');
  });

  it('sends the person back to log in on UNAUTHENTICATED, except on the log-in form itself', () => {
    expect(describeError(graphqlError('UNAUTHENTICATED'))).toMatchObject({ signOut: true });
    // The router refuses a bad token with HTTP 401 before executing anything.
    const refused = new ServerError('401', { response: new Response('', { status: 401 }), bodyText: '' });
    expect(describeError(refused)).toMatchObject({ code: 'UNAUTHENTICATED', signOut: true });
    expect(describeError(graphqlError('UNAUTHENTICATED', 'Wrong handle or password'), 'auth')).toEqual({
      code: 'UNAUTHENTICATED',
      message: 'Wrong handle or password',
      signOut: false,
    });
  });

  it("shows the server's own words for BAD_USER_INPUT and CONFLICT", () => {
    expect(describeError(graphqlError('BAD_USER_INPUT', 'A post is 1–280 characters')).message).toBe(
      'A post is 1–280 characters',
    );
    expect(describeError(graphqlError('CONFLICT', 'That handle is taken')).message).toBe('That handle is taken');
  });

  it('hides anything else behind a generic message, and names network failures', () => {
    expect(describeError(graphqlError('INTERNAL_SERVER_ERROR', 'stack…')).message).not.toContain('stack');
    expect(describeError(new TypeError('Failed to fetch')).code).toBe('NETWORK_ERROR');
    // graphql-ws hands subscription errors over as a plain list.
    expect(describeError([{ message: 'no', extensions: { code: 'FORBIDDEN' } }]).code).toBe('FORBIDDEN');
  });
});
