/** What the person sees when an operation fails, from the contract's error codes. */
export interface FriendlyError {
  readonly code: string;
  readonly message: string;
  /** True when the session is no longer valid and the person must log in again. */
  readonly signOut: boolean;
}

interface GraphQLErrorLike {
  readonly message?: string;
  readonly extensions?: Record<string, unknown>;
}

function graphqlErrors(error: unknown): readonly GraphQLErrorLike[] {
  const errors = (error as { errors?: unknown } | null)?.errors;
  return Array.isArray(errors) ? errors : [];
}

/**
 * Maps an Apollo error (CombinedGraphQLErrors, ServerError, a network failure) or a graphql-ws error
 * list to a message a person can act on. `context` 'auth' keeps the server's own wording for
 * UNAUTHENTICATED (a wrong password is not an expired session).
 */
export function describeError(error: unknown, context: 'app' | 'auth' = 'app'): FriendlyError {
  const list = Array.isArray(error) ? (error as GraphQLErrorLike[]) : graphqlErrors(error);
  const first = list[0];
  const code = typeof first?.extensions?.code === 'string' ? first.extensions.code : undefined;
  const serverMessage = first?.message?.trim() || undefined;
  const statusCode = (error as { statusCode?: unknown } | null)?.statusCode;

  if (code === 'RATE_LIMITED' || statusCode === 429) {
    const seconds = Number(first?.extensions?.retryAfterSeconds);
    const wait = Number.isFinite(seconds) && seconds > 0 ? `in ${Math.ceil(seconds)} s` : 'in a moment';
    return { code: 'RATE_LIMITED', message: `You're going a little fast. Try again ${wait}.`, signOut: false };
  }
  if (code === 'UNAUTHENTICATED' || statusCode === 401) {
    if (context === 'auth')
      return { code: 'UNAUTHENTICATED', message: serverMessage ?? 'Wrong handle or password.', signOut: false };
    return { code: 'UNAUTHENTICATED', message: 'Your session has ended. Please log in again.', signOut: true };
  }
  if (code === 'BAD_USER_INPUT' || code === 'CONFLICT' || code === 'NOT_FOUND')
    return { code, message: serverMessage ?? 'That did not work: check what you entered.', signOut: false };
  if (code === 'FORBIDDEN') return { code, message: "You're not allowed to do that.", signOut: false };
  if (code) return { code, message: 'Something went wrong on our side. Please try again.', signOut: false };
  if (typeof statusCode === 'number' && statusCode >= 500)
    return { code: 'SERVER_ERROR', message: 'Micropost is having trouble. Please try again.', signOut: false };
  return {
    code: 'NETWORK_ERROR',
    message: "Can't reach Micropost. Check your connection and try again.",
    signOut: false,
  };
}
