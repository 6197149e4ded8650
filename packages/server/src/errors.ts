import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { ApolloServerErrorCode, unwrapResolverError } from '@apollo/server/errors';
import type { Logger } from '@micropost/logger';

/** The error codes of the API contract. */
export const ErrorCode = {
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  NOT_FOUND: 'NOT_FOUND',
  CONFLICT: 'CONFLICT',
  RATE_LIMITED: 'RATE_LIMITED',
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
      return { message: formatted.message, locations: formatted.locations, path: formatted.path, extensions: { code } };
    }
    logger.error({ err: unwrapResolverError(error), path: formatted.path }, 'internal error');
    return { message: 'Internal server error', path: formatted.path, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
  };
}
