import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import { HeaderMap, type ApolloServer, type BaseContext, type HTTPGraphQLRequest } from '@apollo/server';
import { ErrorCode, type RateLimitedError } from './errors.ts';

/** Requests larger than this are refused before parsing; posts are 280 characters. */
const MAX_BODY_BYTES = 1024 * 1024;

export interface HttpRoutes<Context extends BaseContext> {
  readonly apollo: ApolloServer<Context>;
  /** Builds the per-request context; throwing a GraphQLError answers with that error. */
  readonly context: (request: http.IncomingMessage) => Promise<Context>;
  /** Readiness: true when the process can serve (its dependencies are reachable). */
  readonly ready: () => Promise<boolean>;
  /** Figures added to the liveness answer (e.g. open subscriptions). */
  readonly health?: () => Record<string, unknown>;
  /** Checked before a GraphQL request's body is read: a RateLimitedError answers 429 with Retry-After. */
  readonly admit?: (request: http.IncomingMessage) => Promise<RateLimitedError | null>;
  /** Longest a GraphQL request may run before it is answered with a timeout error (HTTP 503). */
  readonly requestTimeoutMs?: number;
}

/** Code of the answer to a request that ran past its deadline (documented in the README). */
export const REQUEST_TIMEOUT_CODE = 'REQUEST_TIMEOUT';

class BodyTooLargeError extends Error {}

async function readJsonBody(request: http.IncomingMessage): Promise<unknown> {
  if (request.method !== 'POST') return undefined;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new BodyTooLargeError();
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  const isJson = (request.headers['content-type'] ?? '').startsWith('application/json');
  if (!isJson || text === '') return text;
  return JSON.parse(text);
}

function toHeaderMap(request: http.IncomingMessage): HeaderMap {
  const headers = new HeaderMap();
  for (const [key, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
  }
  return headers;
}

function sendJson(response: http.ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

/**
 * A node:http request listener: GraphQL (and Apollo's landing page) on `/graphql`, liveness on
 * `/health`, readiness on `/ready`. Apollo Server 5 ships no HTTP framework; this is the
 * integration its docs describe (`executeHTTPGraphQLRequest`).
 */
export function graphqlRequestListener<Context extends BaseContext>(routes: HttpRoutes<Context>): http.RequestListener {
  return (request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (url.pathname === '/health') return sendJson(response, 200, { status: 'ok', ...routes.health?.() });
    if (url.pathname === '/ready') {
      void routes.ready().then(
        (ready) => sendJson(response, ready ? 200 : 503, { status: ready ? 'ready' : 'unavailable' }),
        () => sendJson(response, 503, { status: 'unavailable' }),
      );
      return;
    }
    if (url.pathname !== '/graphql')
      return sendJson(response, 404, { error: 'Not found: GraphQL is served on /graphql' });

    void (async () => {
      const refusal = await routes.admit?.(request);
      if (refusal) {
        const retryAfterSeconds = refusal.retryAfterSeconds;
        response.setHeader('retry-after', String(retryAfterSeconds));
        request.resume(); // drain the unread body so the connection can be reused
        return sendJson(response, 429, {
          errors: [{ message: refusal.message, extensions: { code: ErrorCode.RATE_LIMITED, retryAfterSeconds } }],
        });
      }
      let body: unknown;
      try {
        body = await readJsonBody(request);
      } catch (error) {
        const tooLarge = error instanceof BodyTooLargeError;
        return sendJson(response, tooLarge ? 413 : 400, {
          errors: [
            {
              message: tooLarge ? 'Request body too large' : 'Malformed JSON body',
              extensions: { code: 'BAD_REQUEST' },
            },
          ],
        });
      }
      const httpGraphQLRequest: HTTPGraphQLRequest = {
        method: (request.method ?? 'GET').toUpperCase(),
        headers: toHeaderMap(request),
        search: url.search,
        body,
      };
      const execution = routes.apollo.executeHTTPGraphQLRequest({
        httpGraphQLRequest,
        context: () => routes.context(request),
      });
      const result = routes.requestTimeoutMs ? await deadline(execution, routes.requestTimeoutMs) : await execution;
      if (result === TIMED_OUT) {
        return sendJson(response, 503, {
          errors: [
            {
              message: `The request took longer than ${routes.requestTimeoutMs} ms and was abandoned; try again later.`,
              extensions: { code: REQUEST_TIMEOUT_CODE },
            },
          ],
        });
      }
      for (const [key, value] of result.headers) response.setHeader(key, value);
      response.statusCode = result.status ?? 200;
      if (result.body.kind === 'complete') return void response.end(result.body.string);
      for await (const chunk of result.body.asyncIterator) response.write(chunk);
      response.end();
    })().catch(() => {
      if (!response.headersSent)
        sendJson(response, 500, {
          errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }],
        });
      else response.destroy();
    });
  };
}

const TIMED_OUT = Symbol('timed out');

/**
 * `work`, or TIMED_OUT after `ms`. The work itself goes on (a subgraph fetch cannot be recalled
 * half-way) but the client is answered and the connection freed.
 */
async function deadline<T>(work: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<typeof TIMED_OUT>((resolve) => (timer = setTimeout(() => resolve(TIMED_OUT), ms)));
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Listens and resolves with the bound port (port 0 picks a free one, as tests do). */
export async function listen(server: http.Server, port: number, host: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}
