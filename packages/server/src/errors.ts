import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { HeaderMap } from '@apollo/server';
import { ApolloServerErrorCode, unwrapResolverError } from '@apollo/server/errors';
import { isUnavailableError } from '@micropost/events';
import type { Logger } from '@micropost/logger';

export { isUnavailableError };

/** The error codes of the API contract. */
export const ErrorCode = {
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  NOT_FOUND: 'NOT_FOUND',
  CONFLICT: 'CONFLICT',
  RATE_LIMITED: 'RATE_LIMITED',
  /** A dependency (database, broker, a subgraph) cannot be reached right now; retrying later may succeed. */
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  CURSOR_EXPIRED: 'CURSOR_EXPIRED',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

class CodedError extends GraphQLError {
  constructor(message: string, code: ErrorCode, httpStatus?: number) {
    super(message, { extensions: { code, ...(httpStatus ? { http: { status: httpStatus } } : {}) } });
  }
}

export class UnauthenticatedError extends CodedError {
  constructor(message = 'You must be signed in to do this.', httpStatus?: number) {
    super(message, ErrorCode.UNAUTHENTICATED, httpStatus);
  }
}
export class ForbiddenError extends CodedError {
  constructor(message: string) {
    super(message, ErrorCode.FORBIDDEN);
  }
}
export class BadUserInputError extends CodedError {
  constructor(message: string) {
    super(message, ErrorCode.BAD_USER_INPUT);
  }
}
export class NotFoundError extends CodedError {
  constructor(message: string) {
    super(message, ErrorCode.NOT_FOUND);
  }
}
/** A subscription's `after` cursor points before the retained history: the client refetches instead. */
export class CursorExpiredError extends CodedError {
  constructor(message = 'This cursor is older than the retained history; refetch and subscribe without `after`.') {
    super(message, ErrorCode.CURSOR_EXPIRED);
  }
}
export class ConflictError extends CodedError {
  constructor(message: string) {
    super(message, ErrorCode.CONFLICT);
  }
}

export class ServiceUnavailableError extends CodedError {
  constructor(message = 'The service is temporarily unavailable; please retry shortly.') {
    super(message, ErrorCode.SERVICE_UNAVAILABLE);
  }
}

function rateLimitedExtensions(retryAfterSeconds: number, beforeExecution: boolean): Record<string, unknown> {
  const http = { status: 429, headers: new HeaderMap([['retry-after', String(retryAfterSeconds)]]) };
  return { code: ErrorCode.RATE_LIMITED, retryAfterSeconds, ...(beforeExecution ? { http } : {}) };
}

/**
 * Too many requests. Refused before execution it answers HTTP 429 with `Retry-After` (Apollo
 * Server applies `extensions.http`); inside a response it is one error among the results.
 */
export class RateLimitedError extends GraphQLError {
  constructor(
    readonly retryAfterSeconds: number,
    message = `Too many requests; try again in ${retryAfterSeconds} s.`,
    beforeExecution = true,
  ) {
    super(message, { extensions: rateLimitedExtensions(retryAfterSeconds, beforeExecution) });
  }
}

/** Codes a client may see with their message: the contract's, and GraphQL's own request errors. */
const PUBLIC_CODES = new Set<string>([
  ...Object.values(ErrorCode),
  ApolloServerErrorCode.GRAPHQL_PARSE_FAILED,
  ApolloServerErrorCode.GRAPHQL_VALIDATION_FAILED,
  ApolloServerErrorCode.BAD_REQUEST,
  ApolloServerErrorCode.OPERATION_RESOLUTION_FAILURE,
  ApolloServerErrorCode.PERSISTED_QUERY_NOT_FOUND,
  ApolloServerErrorCode.PERSISTED_QUERY_NOT_SUPPORTED,
]);

/**
 * Apollo `formatError`: contract errors pass with their message; anything else (a driver error,
 * a bug) is logged and replaced by a generic message, so internals never reach a client.
 */
export function maskInternalErrors(logger: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const code = formatted.extensions?.code;
    if (typeof code === 'string' && PUBLIC_CODES.has(code)) {
      const retryAfterSeconds = formatted.extensions?.retryAfterSeconds;
      return {
        message: formatted.message,
        locations: formatted.locations,
        path: formatted.path,
        extensions: code === ErrorCode.RATE_LIMITED ? { code, retryAfterSeconds } : { code },
      };
    }
    const cause = unwrapResolverError(error);
    if (isUnavailableError(cause)) {
      // Logged at warn: an outage is expected to pass, and the client gets a code it can retry on.
      logger.warn({ err: cause, path: formatted.path }, 'dependency unavailable');
      const { message, extensions } = new ServiceUnavailableError();
      return { message, path: formatted.path, extensions: { code: extensions.code } };
    }
    logger.error({ err: cause, path: formatted.path }, 'internal error');
    return { message: 'Internal server error', path: formatted.path, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
  };
}
