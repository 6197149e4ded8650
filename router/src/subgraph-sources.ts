import { RemoteGraphQLDataSource, type GraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { GatewayGraphQLResponse } from '@apollo/server-gateway-interface';
import { parse } from 'graphql';
import { IDENTITY_HEADER } from '@micropost/auth';
import { z } from '@micropost/config';
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
      value.trim() === 'all'
        ? 'all'
        : new Set(
            value
              .split(',')
              .map((name) => name.trim())
              .filter((name) => name && name !== 'none'),
          ),
    ),
};

/** Passes the router's signed view of the caller, and the request id, to every subgraph fetch. */
export class IdentityForwardingDataSource extends RemoteGraphQLDataSource<RouterContext> {
  override willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<RouterContext>) {
    if (!request.http) return;
    if (context.requestId) request.http.headers.set(REQUEST_ID_HEADER, context.requestId);
    if (context.forwardedIdentity) request.http.headers.set(IDENTITY_HEADER, context.forwardedIdentity);
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
