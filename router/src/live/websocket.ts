import type http from 'node:http';
import {
  GraphQLError,
  execute,
  getOperationAST,
  type ExecutionArgs,
  type GraphQLFormattedError,
  type GraphQLSchema,
} from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer, type WebSocket } from 'ws';
import { type AccessTokens, InvalidTokenError, bearerToken, type AccessToken } from '@micropost/auth';
import type { Logger } from '@micropost/logger';
import { UnauthenticatedError } from '@micropost/server';
import type { LiveContext, LiveItem } from './subscription-schema.ts';
import type { LiveHub } from './live-hub.ts';
import { tooManySubscriptions, type SocketLimits } from '../limits/socket-limits.ts';
import { subscribeWithCursor } from './subscribe-with-cursor.ts';

export interface SubscriptionServerOptions {
  readonly httpServer: http.Server;
  readonly schema: GraphQLSchema;
  readonly hub: LiveHub<LiveItem>;
  readonly resume?: LiveContext['resume'];
  readonly tokens: AccessTokens;
  /** Browser origins allowed to open a socket; requests without an Origin (non-browser clients) pass. */
  readonly allowedOrigins: readonly string[];
  readonly formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
  readonly logger: Logger;
  readonly limits: SocketLimits;
}

/** setTimeout's ceiling (about 24.8 days); longer-lived tokens are re-armed by reconnecting clients. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** graphql-ws close code for an expired session, as the protocol uses 4401 for "Unauthorized". */
const TOKEN_EXPIRED = 4401;

interface Session {
  readonly token: AccessToken | null;
  readonly expiry?: NodeJS.Timeout;
}

/**
 * graphql-ws on the router's HTTP server, same path as queries (`/graphql`). Authenticates from
 * `connectionParams.authorization` at connect (a bad token is refused with 4403), re-checks expiry per
 * subscription, and closes a connection when its token expires.
 */
export function attachSubscriptionServer(options: SubscriptionServerOptions): { close(): Promise<void> } {
  const { schema, hub, tokens, logger, limits } = options;
  const allowed = new Set(options.allowedOrigins);
  const wss = new WebSocketServer({
    server: options.httpServer,
    path: '/graphql',
    maxPayload: limits.maxPayloadBytes,
    verifyClient: ({ origin, req }, done) => {
      // The web client this router serves is same-origin wherever it is opened (the balancer, or a
      // server's own port); tokens travel in connectionParams, never in cookies.
      const sameOrigin = origin === `http://${req.headers.host}` || origin === `https://${req.headers.host}`;
      if (origin !== undefined && !allowed.has(origin) && !sameOrigin) {
        logger.warn({ origin }, 'refused a WebSocket from an origin not in ALLOWED_ORIGINS');
        return done(false, 403, 'Origin not allowed');
      }
      limits.admitConnection(req).then(
        (refusal) =>
          refusal
            ? done(false, 429, 'Too many connections', { 'retry-after': String(refusal.retryAfterSeconds) })
            : done(true),
        (err: unknown) => {
          logger.error({ err }, 'could not check the connection rate limit');
          done(false, 503, 'Unavailable');
        },
      );
    },
  });
  const sessions = new WeakMap<WebSocket, Session>();

  const server = useServer<Record<string, unknown> | undefined, { socket: WebSocket; request: http.IncomingMessage }>(
    {
      connectionInitWaitTimeout: limits.connectionInitTimeoutMs,
      // Our own graphql functions, so the schema and its executor always come from one copy of graphql.
      execute: (args) => execute(args),
      subscribe: (args) => subscribeWithCursor(args),
      onConnect: async ({ connectionParams, extra }) => {
        const authorization = connectionParams?.authorization ?? connectionParams?.Authorization;
        if (authorization === undefined || authorization === null || authorization === '') {
          sessions.set(extra.socket, { token: null });
          return true;
        }
        const bearer = typeof authorization === 'string' ? bearerToken(authorization) : null;
        try {
          if (bearer === null) throw new InvalidTokenError('not a bearer token');
          const token = await tokens.verify(bearer);
          const expiry = setTimeout(
            () => extra.socket.close(TOKEN_EXPIRED, 'Token expired'),
            Math.min(token.expiresAt * 1000 - Date.now(), MAX_TIMER_MS),
          );
          sessions.set(extra.socket, { token, expiry });
          return true;
        } catch (error) {
          if (!(error instanceof InvalidTokenError)) throw error;
          return false; // graphql-ws closes with 4403 Forbidden
        }
      },
      onSubscribe: ({ extra, subscriptions }, _id, payload): ExecutionArgs | readonly GraphQLError[] => {
        const session = sessions.get(extra.socket) ?? { token: null };
        if (session.token && session.token.expiresAt * 1000 <= Date.now())
          return [new UnauthenticatedError('The token has expired; sign in again.')];
        // graphql-ws lists this subscription among the socket's before asking us.
        if (Object.keys(subscriptions).length > limits.maxSubscriptionsPerSocket)
          return [tooManySubscriptions(limits.maxSubscriptionsPerSocket)];
        const document = limits.parseAndValidate(schema, payload.query);
        if (!('kind' in document)) return document;
        if (getOperationAST(document, payload.operationName)?.operation !== 'subscription') {
          return [
            new GraphQLError('This socket carries subscriptions; send queries and mutations with HTTP POST /graphql.'),
          ];
        }
        const contextValue: LiveContext = {
          viewer: session.token ? { userId: session.token.userId } : null,
          hub,
          resume: options.resume,
        };
        return {
          schema,
          document,
          variableValues: payload.variables,
          operationName: payload.operationName,
          contextValue,
        };
      },
      onNext: (_ctx, _id, _payload, _args, result) =>
        result.errors
          ? { ...result, errors: result.errors.map((error) => options.formatError(error.toJSON(), error)) }
          : undefined,
      onClose: ({ extra }) => {
        clearTimeout(sessions.get(extra.socket)?.expiry);
        sessions.delete(extra.socket);
      },
    },
    wss,
  );

  return {
    close: async () => {
      await server.dispose();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
