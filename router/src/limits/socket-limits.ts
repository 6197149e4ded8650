import type http from 'node:http';
import { GraphQLError, parse, specifiedRules, validate, type DocumentNode, type GraphQLSchema } from 'graphql';
import { z } from '@micropost/config';
import { RateLimitedError } from '@micropost/server';
import {
  OperationLimitError,
  isOperationLimitError,
  limitedParseOptions,
  operationLimitRules,
  type OperationLimits,
} from './operation-limits.ts';

export const socketLimitsEnv = {
  /** Largest WebSocket message a client may send, in bytes (ws's own default is 100 MiB). */
  WS_MAX_PAYLOAD_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(64 * 1024),
  /** Subscriptions one socket may hold at once. */
  WS_MAX_SUBSCRIPTIONS_PER_SOCKET: z.coerce.number().int().positive().default(25),
  /** A socket that has not sent connection_init by then is closed (4408). */
  WS_CONNECTION_INIT_TIMEOUT_MS: z.coerce.number().int().positive().default(5000),
};

/** What the subscription server enforces per socket and per subscribe message. */
export interface SocketLimits {
  readonly maxPayloadBytes: number;
  readonly maxSubscriptionsPerSocket: number;
  readonly connectionInitTimeoutMs: number;
  /** Parses and validates one subscribe payload with the operation limits: the document, or its errors. */
  readonly parseAndValidate: (schema: GraphQLSchema, query: string) => DocumentNode | readonly GraphQLError[];
  /** Counts a new socket against its address; the refusal when it has opened too many. */
  readonly admitConnection: (request: http.IncomingMessage) => Promise<RateLimitedError | null>;
}

/** The limits of HTTP operations, applied to a subscribe message: same parser options and rules. */
export function limitedParseAndValidate(limits: OperationLimits) {
  const rules = [...specifiedRules, ...operationLimitRules(limits)];
  const parseOptions = limitedParseOptions(limits);
  return (schema: GraphQLSchema, query: string): DocumentNode | readonly GraphQLError[] => {
    let document: DocumentNode;
    try {
      document = parse(query, parseOptions);
    } catch (error) {
      if (isOperationLimitError(error)) return [new OperationLimitError((error as Error).message)];
      return [error instanceof GraphQLError ? error : new GraphQLError('Could not parse the operation')];
    }
    const errors = validate(schema, document, rules);
    return errors.length > 0 ? errors : document;
  };
}

export function tooManySubscriptions(max: number): GraphQLError {
  return new RateLimitedError(
    1,
    `This socket already holds ${max} subscriptions; complete one before starting another.`,
    false,
  );
}
