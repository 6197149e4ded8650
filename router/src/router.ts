import http from 'node:http';
import { ApolloGateway, RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import type { GraphQLSchema } from 'graphql';
import { AccessTokens, ForwardedIdentities, IDENTITY_HEADER } from '@micropost/auth';
import { amqpEnv, authEnv, httpEnv, logEnv, parseEnv, streamEnv, z } from '@micropost/config';
import { createEventBus, type EventBus } from '@micropost/events';
import { createLogger } from '@micropost/logger';
import {
  REQUEST_ID_HEADER,
  graphqlRequestListener,
  listen,
  maskInternalErrors,
  type RunningService,
} from '@micropost/server';
import { readSupergraph } from './compose.ts';
import { RouterAuthenticator, type RouterContext } from './context.ts';
import type { GatewayExecutor } from './live/hydrator.ts';
import { eventStreamSpec } from './live/event-stream.ts';
import { startLiveService, type LiveService } from './live/live-service.ts';
import { SERVED_SUBGRAPHS, defaultSubgraphUrl, subgraphUrlVariable } from './subgraphs.ts';

const subgraphUrlEnv = Object.fromEntries(
  SERVED_SUBGRAPHS.map(({ name, port }) => [
    subgraphUrlVariable(name),
    z.url({ protocol: /^https?$/ }).default(defaultSubgraphUrl(port)),
  ]),
);
const routerEnv = {
  ...logEnv,
  ...httpEnv(4000),
  ...authEnv,
  ...amqpEnv,
  ...streamEnv,
  ...subgraphUrlEnv,
  /** Browser origins that may open a subscription socket (comma-separated). Sandbox's embed origin is included. */
  ALLOWED_ORIGINS: z
    .string()
    .default(
      'http://localhost:4000,http://127.0.0.1:4000,https://sandbox.embed.apollographql.com,https://studio.apollographql.com',
    )
    .transform((value) =>
      value
        .split(',')
        .map((origin) => origin.trim())
        .filter(Boolean),
    ),
  /** Undelivered events kept per subscription before the oldest are dropped; default 64. */
  SUBSCRIPTION_BUFFER_SIZE: z.coerce.number().int().positive().default(64),
  /** Resuming subscriptions that replay the stream at once on this server (the rest queue); default 16. */
  RESUME_CONCURRENCY: z.coerce.number().int().positive().default(16),
};

/** Passes the router's signed view of the caller, and the request id, to every subgraph fetch. */
class IdentityForwardingDataSource extends RemoteGraphQLDataSource<RouterContext> {
  override willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<RouterContext>) {
    if (!request.http) return;
    if (context.requestId) request.http.headers.set(REQUEST_ID_HEADER, context.requestId);
    if (context.forwardedIdentity) request.http.headers.set(IDENTITY_HEADER, context.forwardedIdentity);
  }
}

/**
 * The federated router: @apollo/gateway over the checked-in supergraph, Sandbox on GET /graphql,
 * and the subscription service (graphql-ws) on the same port and path.
 */
export async function startRouter(
  rawEnv: Readonly<Record<string, string | undefined>> = process.env,
  options: { readonly bus?: EventBus } = {},
): Promise<RunningService> {
  const env = parseEnv(routerEnv, rawEnv);
  const logger = createLogger('router', env.LOG_LEVEL);
  // @apollo/gateway exports usage metrics to Apollo (probing cloud metadata endpoints on the way)
  // unless this is set when it is constructed; nothing in Micropost may phone home.
  process.env.APOLLO_TELEMETRY_DISABLED = 'true';
  const urls = new Map<string, string>(
    SERVED_SUBGRAPHS.map(({ name }) => [name, String(env[subgraphUrlVariable(name) as keyof typeof env])]),
  );
  const gateway = new ApolloGateway({
    supergraphSdl: readSupergraph(),
    buildService: ({ name, url }) => new IdentityForwardingDataSource({ url: urls.get(name) ?? url }),
    logger,
  });
  let apiSchema: GraphQLSchema | undefined;
  gateway.onSchemaLoadOrUpdate((schema) => (apiSchema = schema.apiSchema));

  const httpServer = http.createServer();
  const formatError = maskInternalErrors(logger);
  const apollo = new ApolloServer<RouterContext>({
    gateway,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      ApolloServerPluginLandingPageLocalDefault({ embed: true, includeCookies: false }),
    ],
    formatError,
    includeStacktraceInErrorResponses: false,
    introspection: true,
  });
  const stack: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const release of stack.reverse().splice(0))
      await release().catch((err) => logger.error({ err }, 'shutdown step failed'));
  };
  try {
    await apollo.start();
    stack.push(() => apollo.stop());
    const tokens = new AccessTokens(env.JWT_SECRET, env.TOKEN_TTL_SECONDS);
    const authenticator = new RouterAuthenticator(tokens, new ForwardedIdentities(env.INTERNAL_SECRET));
    let live: LiveService | undefined;
    httpServer.on(
      'request',
      graphqlRequestListener({
        apollo,
        context: (request: http.IncomingMessage) => authenticator.contextForRequest(request),
        ready: async () => live !== undefined,
        health: () => ({ liveSubscriptions: live?.hub.subscriptionCount ?? 0 }),
      }),
    );

    const bus =
      options.bus ??
      (await createEventBus({ url: env.AMQP_URL, exchange: env.EVENTS_EXCHANGE, prefetch: env.AMQP_PREFETCH, logger }));
    if (!options.bus) stack.push(() => bus.close());
    const execute: GatewayExecutor = async (query, variables, viewer) => {
      const response = await apollo.executeOperation(
        { query, variables },
        { contextValue: await authenticator.contextForViewer(viewer) },
      );
      if (response.body.kind !== 'single') throw new Error('hydration queries never use incremental delivery');
      return response.body.singleResult;
    };
    if (!apiSchema) throw new Error('the gateway started without a schema');
    const liveService = await startLiveService({
      httpServer,
      apiSchema,
      bus,
      execute,
      tokens,
      allowedOrigins: env.ALLOWED_ORIGINS,
      bufferSize: env.SUBSCRIPTION_BUFFER_SIZE,
      stream: eventStreamSpec(env),
      resumeConcurrency: env.RESUME_CONCURRENCY,
      prefetch: env.AMQP_PREFETCH,
      formatError,
      logger,
    });
    live = liveService;
    stack.push(() => liveService.stop());

    const port = await listen(httpServer, env.PORT, env.HOST);
    const url = `http://${env.HOST}:${port}/graphql`;
    logger.info({ url, subgraphs: Object.fromEntries(urls) }, 'router ready');
    return { name: 'router', url, port, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
