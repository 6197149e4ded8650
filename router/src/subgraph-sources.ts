import http from 'node:http';
import https from 'node:https';
import { RemoteGraphQLDataSource, type GraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { GatewayGraphQLResponse } from '@apollo/server-gateway-interface';
import { parse } from 'graphql';
import { IDENTITY_HEADER } from '@micropost/auth';
import { commaList, z } from '@micropost/config';
import { REQUEST_ID_HEADER, type LocalSubgraph } from '@micropost/server';
import type { RouterContext } from './context.ts';

export const inProcessEnv = {
  /**
   * Subgraphs running in the router's process that it calls in-process (no HTTP, no JSON): `all`
   * (default), `none`, or a comma-separated list of names. Subgraphs elsewhere are always reached over HTTP.
   */
  IN_PROCESS_SUBGRAPHS: z
    .string()
    .default('all')
    .transform((value): 'all' | ReadonlySet<string> =>
      value.trim() === 'all' ? 'all' : new Set(commaList(value).filter((name) => name !== 'none')),
    ),
};

type Fetcher = RemoteGraphQLDataSource['fetcher'];
type FetcherResponse = Awaited<ReturnType<Fetcher>>;

/**
 * Subgraph fetches over node:http on kept-alive connections. The gateway's default fetcher
 * (make-fetch-happen) runs every request through HTTP-cache and retry layers that a POST to a
 * subgraph never uses; they were the largest share of the router's CPU in the isolation bench.
 */
export function keepAliveFetcher(): Fetcher {
  // An idle connection is closed after 4 s, before a Node server's own 5 s keep-alive timeout: a
  // request never goes out on a connection the subgraph is closing at the same moment (ECONNRESET).
  const agents = {
    'http:': new http.Agent({ keepAlive: true, timeout: 4_000 }),
    'https:': new https.Agent({ keepAlive: true, timeout: 4_000 }),
  };
  return (url, init = {}) =>
    new Promise<FetcherResponse>((resolve, reject) => {
      const target = new URL(url);
      const transport = target.protocol === 'https:' ? https : http;
      const request = transport.request(
        target,
        {
          method: init.method ?? 'GET',
          headers: init.headers,
          agent: target.protocol === 'https:' ? agents['https:'] : agents['http:'],
          signal: init.signal,
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => resolve(bufferedResponse(url, response, Buffer.concat(chunks))));
          response.on('error', reject);
        },
      );
      request.on('error', reject);
      request.end(init.body);
    });
}

/** What RemoteGraphQLDataSource reads of a response, over a body already read in full. */
function bufferedResponse(url: string, response: http.IncomingMessage, body: Buffer): FetcherResponse {
  const headers = new Headers();
  for (const [name, value] of Object.entries(response.headers))
    if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  const status = response.statusCode ?? 0;
  const result: FetcherResponse = {
    bodyUsed: false,
    url,
    redirected: false,
    status,
    ok: status >= 200 && status < 300,
    statusText: response.statusMessage ?? '',
    headers,
    arrayBuffer: async () => body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength) as ArrayBuffer,
    text: async () => body.toString('utf8'),
    json: async () => JSON.parse(body.toString('utf8')),
    clone: () => bufferedResponse(url, response, body),
  };
  return result;
}

/** Passes the router's signed view of the caller, and the request id, to every subgraph fetch. */
export class IdentityForwardingDataSource extends RemoteGraphQLDataSource<RouterContext> {
  constructor(url: string, fetcher: Fetcher) {
    super({ url, fetcher });
  }

  override async willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<RouterContext>) {
    if (!request.http) return;
    if (context.requestId) request.http.headers.set(REQUEST_ID_HEADER, context.requestId);
    const identity = await context.forwardedIdentity();
    if (identity) request.http.headers.set(IDENTITY_HEADER, identity);
  }
}

/**
 * Executes a co-located subgraph's schema directly with the planner's parsed document and the
 * router's verified viewer: what its HTTP endpoint would do with the signed identity header.
 */
export class InProcessDataSource implements GraphQLDataSource<RouterContext> {
  constructor(private readonly subgraph: LocalSubgraph) {}

  async process(options: GraphQLDataSourceProcessOptions<RouterContext>): Promise<GatewayGraphQLResponse> {
    // Health checks and schema loading (the enum is not exported) never happen with a static supergraph.
    if (!('incomingRequestContext' in options))
      throw new Error(`${this.subgraph.name} is in-process: it serves operations only`);
    const { request, context } = options;
    if (!request.query && !options.document) throw new Error('Missing query');
    return this.subgraph.execute({
      document: options.document ?? parse(request.query!),
      variables: request.variables,
      operationName: request.operationName,
      viewer: context.viewer,
      requestId: context.requestId,
    });
  }
}
