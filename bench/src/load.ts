import autocannon from 'autocannon';
import { percentile } from './progress.ts';

export interface LoadResult {
  connections: number;
  seconds: number;
  requests: number;
  requestsPerSecond: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  /** Transport errors + timeouts + non-2xx + responses carrying GraphQL `errors`. */
  errors: number;
  /** The first failed response (status and the start of its body), to tell what the errors were. */
  firstError?: string;
}

export interface LoadOptions {
  url: string;
  query: string;
  variables?: (index: number) => Record<string, unknown>;
  /** Several operations sent round-robin instead of `query` alone. */
  operations?: readonly { readonly query: string; readonly variables: Record<string, unknown> }[];
  /** Bearer tokens used round-robin, one per request. */
  tokens?: readonly string[];
  /** Extra headers per request, round-robin with `tokens` (e.g. a forwarded identity). */
  headers?: (index: number) => Record<string, string>;
  connections: number;
  seconds: number;
  /** Hard cap of requests as well as time: every load loop is bounded in both. */
  maxRequests?: number;
  timeoutSeconds?: number;
}

/**
 * POSTs one GraphQL operation with autocannon (closed loop: `connections` in flight), with a
 * different user's token per request. Latency percentiles come from every response's own time.
 */
export async function load(options: LoadOptions): Promise<LoadResult> {
  const { url, query, connections, seconds } = options;
  let counter = 0;
  const latencies: number[] = [];
  let graphqlErrors = 0;
  let firstError: string | undefined;
  // Without a callback autocannon returns its instance (an event emitter), which is also a promise of the result.
  const instance = autocannon({
    url,
    connections,
    duration: seconds,
    ...(options.maxRequests ? { amount: options.maxRequests } : {}),
    timeout: options.timeoutSeconds ?? 10,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    requests: [
      {
        setupRequest: (request) => {
          const index = counter++;
          const token = options.tokens?.length ? options.tokens[index % options.tokens.length] : undefined;
          return {
            ...request,
            headers: {
              ...request.headers,
              'content-type': 'application/json',
              ...(token ? { authorization: `Bearer ${token}` } : {}),
              ...options.headers?.(index),
            },
            body: JSON.stringify(
              options.operations?.length
                ? options.operations[index % options.operations.length]
                : { query, variables: options.variables?.(index) ?? {} },
            ),
          };
        },
        onResponse: (status, body) => {
          if (body.includes('"errors"')) graphqlErrors++;
          if ((status !== 200 || body.includes('"errors"')) && firstError === undefined)
            firstError = `${status} ${body.slice(0, 300)}`;
        },
      },
    ],
  }) as unknown as autocannon.Instance & Promise<autocannon.Result>;
  instance.on(
    'response',
    (_client: unknown, _status: number, _bytes: number, responseTime: number) => void latencies.push(responseTime),
  );
  const result = await instance;
  latencies.sort((x, y) => x - y);
  const round = (value: number) => Math.round(value * 100) / 100;
  return {
    connections,
    seconds: round(result.duration),
    requests: result.requests.total,
    requestsPerSecond: round(result.requests.total / Math.max(result.duration, 0.001)),
    p50Ms: round(percentile(latencies, 50)),
    p95Ms: round(percentile(latencies, 95)),
    p99Ms: round(percentile(latencies, 99)),
    errors: result.errors + result.timeouts + result.non2xx + graphqlErrors,
    ...(firstError !== undefined ? { firstError } : {}),
  };
}

/** POSTs a GraphQL operation; throws on transport or GraphQL errors. */
export async function gql<T = any>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  token?: string,
): Promise<T> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
    signal: AbortSignal.timeout(60_000),
  });
  const body = (await response.json()) as { data?: T; errors?: unknown[] };
  if (body.errors?.length || !body.data)
    throw new Error(`GraphQL error from ${url}: ${JSON.stringify(body.errors ?? body).slice(0, 500)}`);
  return body.data;
}

export const HOME_FEED_QUERY =
  'query HomeFeed { homeFeed(first: 20) { edges { node { body likeCount viewerHasLiked author { handle followerCount viewerFollows } } } } }';
