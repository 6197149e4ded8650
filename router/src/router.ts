import http from 'node:http';
import { ApolloGateway, RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { AccessTokens, ForwardedIdentities, IDENTITY_HEADER } from '@micropost/auth';
import { authEnv, httpEnv, logEnv, parseEnv, z } from '@micropost/config';
import { createLogger } from '@micropost/logger';
import { REQUEST_ID_HEADER, graphqlRequestListener, listen, maskInternalErrors, type RunningService } from '@micropost/server';
import { readSupergraph } from './compose.ts';
import { RouterAuthenticator, type RouterContext } from './context.ts';
import { SUBGRAPHS, defaultSubgraphUrl, subgraphUrlVariable } from './subgraphs.ts';

const subgraphUrlEnv = Object.fromEntries(
  SUBGRAPHS.map(({ name, port }) => [subgraphUrlVariable(name), z.url({ protocol: /^https?$/ }).default(defaultSubgraphUrl(port))]),
);
const routerEnv = { ...logEnv, ...httpEnv(4000), ...authEnv, ...subgraphUrlEnv };

/** Passes the router's signed view of the caller, and the request id, to every subgraph fetch. */
class IdentityForwardingDataSource extends RemoteGraphQLDataSource<RouterContext> {
  override willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<RouterContext>) {
    if (!request.http) return;
    if (context.requestId) request.http.headers.set(REQUEST_ID_HEADER, context.requestId);
    if (context.forwardedIdentity) request.http.headers.set(IDENTITY_HEADER, context.forwardedIdentity);
  }
}

/** The federated router: @apollo/gateway over the checked-in supergraph, with Sandbox on GET /graphql. */
export async function startRouter(rawEnv: Readonly<Record<string, string | undefined>> = process.env): Promise<RunningService> {
  const env = parseEnv(routerEnv, rawEnv);
  const logger = createLogger('router', env.LOG_LEVEL);
  const urls = new Map<string, string>(SUBGRAPHS.map(({ name }) => [name, String(env[subgraphUrlVariable(name) as keyof typeof env])]));
  const gateway = new ApolloGateway({
    supergraphSdl: readSupergraph(),
    buildService: ({ name, url }) => new IdentityForwardingDataSource({ url: urls.get(name) ?? url }),
    logger,
  });
  const httpServer = http.createServer();
  const apollo = new ApolloServer<RouterContext>({
    gateway,
    plugins: [ApolloServerPluginDrainHttpServer({ httpServer }), ApolloServerPluginLandingPageLocalDefault({ embed: true, includeCookies: false })],
    formatError: maskInternalErrors(logger),
    includeStacktraceInErrorResponses: false,
    introspection: true,
  });
  await apollo.start();
  const authenticator = new RouterAuthenticator(new AccessTokens(env.JWT_SECRET, env.TOKEN_TTL_SECONDS), new ForwardedIdentities(env.INTERNAL_SECRET));
  httpServer.on(
    'request',
    graphqlRequestListener({ apollo, context: (request: http.IncomingMessage) => authenticator.contextForRequest(request), ready: async () => true }),
  );
  const port = await listen(httpServer, env.PORT, env.HOST);
  const url = `http://${env.HOST}:${port}/graphql`;
  logger.info({ url, subgraphs: Object.fromEntries(urls) }, 'router ready');
  return { name: 'router', url, port, stop: () => apollo.stop() };
}
