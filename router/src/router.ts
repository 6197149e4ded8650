import http from 'node:http';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import type { GraphQLSchema } from 'graphql';
import { AccessTokens, IdentitySigner } from '@micropost/auth';
import {
  amqpEnv,
  commaList,
  authEnv,
  httpEnv,
  identitySigningEnv,
  logEnv,
  mongoEnv,
  parseEnv,
  streamEnv,
  z,
} from '@micropost/config';
import { createEventBus, type EventBus } from '@micropost/events';
import { createLogger } from '@micropost/logger';
import { connectMongo, subgraphDatabase } from '@micropost/mongo';
import {
  ErrorCode,
  PeriodicTask,
  graphqlRequestListener,
  listen,
  maskInternalErrors,
  type LocalSubgraph,
  type RunningService,
} from '@micropost/server';
import { TrustedProxies } from './limits/client-address.ts';
import {
  isOperationLimitError,
  limitedParseOptions,
  operationLimitRules,
  operationLimitsEnv,
  operationLimitsFrom,
} from './limits/operation-limits.ts';
import { rateLimitPlugin } from './limits/rate-limit-plugin.ts';
import { RateLimits, rateLimitsEnv } from './limits/rate-limits.ts';
import { limitedParseAndValidate, socketLimitsEnv } from './limits/socket-limits.ts';
import { readSupergraph } from './compose.ts';
import {
  loadTrustedDocuments,
  trustedDocumentCache,
  trustedDocumentsEnv,
  trustedDocumentsPlugin,
} from './trusted-documents.ts';
import { RouterAuthenticator, type RouterContext } from './context.ts';
import type { GatewayExecutor } from './live/hydrator.ts';
import { routerReadiness } from './readiness.ts';
import { eventStreamSpec } from './live/event-stream.ts';
import { startLiveService, type LiveService } from './live/live-service.ts';
import { WEB_DIST, serveStaticFiles } from './static-files.ts';
import { SERVED_SUBGRAPHS, defaultSubgraphUrl, subgraphUrlVariable } from './subgraphs.ts';
import {
  IdentityForwardingDataSource,
  InProcessDataSource,
  inProcessEnv,
  keepAliveFetcher,
} from './subgraph-sources.ts';

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
  ...identitySigningEnv,
  ...amqpEnv,
  ...streamEnv,
  ...subgraphUrlEnv,
  ...inProcessEnv,
  ...trustedDocumentsEnv,
  /** Browser origins that may open a subscription socket (comma-separated). Sandbox's embed origin is included. */
  ALLOWED_ORIGINS: z
    .string()
    .default(
      'http://localhost:4000,http://127.0.0.1:4000,https://sandbox.embed.apollographql.com,https://studio.apollographql.com',
    )
    .transform(commaList),
  /** Undelivered events kept per subscription before the oldest are dropped; default 64. */
  SUBSCRIPTION_BUFFER_SIZE: z.coerce.number().int().positive().default(64),
  /** Where the rate limits' counters live (database `<prefix>router`); without it they are per process. */
  MONGO_URL: mongoEnv.MONGO_URL.optional(),
  MONGO_DB_PREFIX: mongoEnv.MONGO_DB_PREFIX,
  /** Peers whose X-Forwarded-For is believed: addresses, CIDR ranges or `loopback`; comma-separated. */
  TRUSTED_PROXIES: z
    .string()
    .default('loopback')
    .refine((value) => TrustedProxies.parse(value) !== null, 'must list IP addresses, CIDR ranges or "loopback"')
    .transform((value) => TrustedProxies.parse(value)!),
  /** Longest an HTTP GraphQL request may run before it is answered with REQUEST_TIMEOUT (HTTP 503). */
  REQUEST_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
  NODE_ENV: z.string().optional(),
  /** Sandbox (GET /graphql) and introspection; default on, off when NODE_ENV=production. */
  GRAPHQL_INTROSPECTION: z.enum(['true', 'false']).optional(),
  ...operationLimitsEnv,
  ...rateLimitsEnv,
  ...socketLimitsEnv,
  /** Resuming subscriptions that replay the stream at once on this server (the rest queue); default 16. */
  RESUME_CONCURRENCY: z.coerce.number().int().positive().default(16),
};

/** Apollo Server's message for an automatic persisted query whose sha256 is not that of its query. */
const APQ_HASH_MISMATCH = 'provided sha does not match query';

/**
 * The federated router: @apollo/gateway over the checked-in supergraph, Sandbox on GET /graphql,
 * and the subscription service (graphql-ws) on the same port and path.
 */
export async function startRouter(
  rawEnv: Readonly<Record<string, string | undefined>> = process.env,
  options: {
    readonly bus?: EventBus;
    /** Subgraphs running in this process; IN_PROCESS_SUBGRAPHS says which of them are called in-process. */
    readonly local?: readonly LocalSubgraph[];
  } = {},
): Promise<RunningService> {
  const env = parseEnv(routerEnv, rawEnv);
  const logger = createLogger('router', env.LOG_LEVEL);
  // @apollo/gateway exports usage metrics to Apollo (probing cloud metadata endpoints on the way)
  // unless this is set when it is constructed; nothing in Micropost may phone home.
  process.env.APOLLO_TELEMETRY_DISABLED = 'true';
  const urls = new Map<string, string>(
    SERVED_SUBGRAPHS.map(({ name }) => [name, String(env[subgraphUrlVariable(name) as keyof typeof env])]),
  );
  const inProcess = new Map(
    (options.local ?? [])
      .filter(({ name }) => env.IN_PROCESS_SUBGRAPHS === 'all' || env.IN_PROCESS_SUBGRAPHS.has(name))
      .map((subgraph) => [subgraph.name, subgraph]),
  );
  const fetcher = keepAliveFetcher();
  const gateway = new ApolloGateway({
    supergraphSdl: readSupergraph(),
    buildService: ({ name, url }) => {
      const local = inProcess.get(name);
      return local ? new InProcessDataSource(local) : new IdentityForwardingDataSource(urls.get(name) ?? url!, fetcher);
    },
    // In-process calls execute the planner's parsed operation (and validate it once) instead of re-parsing its text.
    queryPlannerConfig: { exposeDocumentNodeInFetchNode: inProcess.size > 0 },
    logger,
  });
  let apiSchema: GraphQLSchema | undefined;
  gateway.onSchemaLoadOrUpdate((schema) => (apiSchema = schema.apiSchema));

  const trusted = env.TRUSTED_DOCUMENTS ? loadTrustedDocuments(env.TRUSTED_DOCUMENTS) : null;
  const introspection = (env.GRAPHQL_INTROSPECTION ?? String(env.NODE_ENV !== 'production')) === 'true';
  const limits = operationLimitsFrom(env);
  const stack: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const release of stack.reverse().splice(0))
      await release().catch((err) => logger.error({ err }, 'shutdown step failed'));
  };
  const httpServer = http.createServer();
  const masked = maskInternalErrors(logger);
  // A refusal by the operation limits, or a persisted query whose hash does not match its text
  // (Apollo gives that one no code), is invalid input whatever Apollo wrapped it in.
  const formatError: typeof masked = (formatted, error) =>
    isOperationLimitError(error) || formatted.message === APQ_HASH_MISMATCH
      ? { message: formatted.message, locations: formatted.locations, extensions: { code: ErrorCode.BAD_USER_INPUT } }
      : masked(formatted, error);
  try {
    const mongo = env.MONGO_URL ? await connectMongo(env.MONGO_URL) : null;
    if (mongo) stack.push(() => mongo.close());
    else logger.warn('MONGO_URL is not set: rate limits are counted per process, not shared by the servers');
    const rateLimits = await RateLimits.create(
      env,
      mongo && subgraphDatabase(mongo, env.MONGO_DB_PREFIX, 'router'),
      logger,
    );
    const sweep = new PeriodicTask(
      'rate-limit sweep',
      10 * 60_000,
      async () => void (await rateLimits.sweep()),
      logger,
    );
    sweep.start();
    stack.push(() => sweep.stop());

    const apollo = new ApolloServer<RouterContext>({
      gateway,
      plugins: [
        ApolloServerPluginDrainHttpServer({ httpServer }),
        introspection
          ? ApolloServerPluginLandingPageLocalDefault({ embed: true, includeCookies: false })
          : ApolloServerPluginLandingPageDisabled(),
        rateLimitPlugin(rateLimits, logger),
        ...(trusted ? [trustedDocumentsPlugin(trusted)] : []),
      ],
      // Automatic persisted queries (Apollo Server's, in its bounded in-memory cache); in trusted mode
      // the store is the manifest, and clients register nothing.
      ...(trusted ? { persistedQueries: { cache: trustedDocumentCache(trusted) } } : {}),
      formatError,
      includeStacktraceInErrorResponses: false,
      introspection,
      validationRules: operationLimitRules(limits),
      parseOptions: limitedParseOptions(limits),
    });
    await apollo.start();
    stack.push(() => apollo.stop());
    const tokens = new AccessTokens(env.JWT_SECRET, env.TOKEN_TTL_SECONDS);
    const authenticator = new RouterAuthenticator(tokens, new IdentitySigner(env.INTERNAL_PRIVATE_KEY));
    let live: LiveService | undefined;
    let ready = async () => false;
    const proxies = env.TRUSTED_PROXIES;
    httpServer.on(
      'request',
      // The web client at `/` (when built); GraphQL, /health and /ready as before.
      serveStaticFiles(
        WEB_DIST,
        graphqlRequestListener({
          apollo,
          context: async (request: http.IncomingMessage) => ({
            ...(await authenticator.contextForRequest(request)),
            clientAddress: proxies.clientAddress(request),
          }),
          admit: (request) => rateLimits.consume('requests', proxies.clientAddress(request)),
          requestTimeoutMs: env.REQUEST_TIMEOUT_MS,
          ready: () => ready(),
          health: () => ({ liveSubscriptions: live?.hub.subscriptionCount ?? 0 }),
        }),
      ),
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
      socketLimits: {
        maxPayloadBytes: env.WS_MAX_PAYLOAD_BYTES,
        maxSubscriptionsPerSocket: env.WS_MAX_SUBSCRIPTIONS_PER_SOCKET,
        connectionInitTimeoutMs: env.WS_CONNECTION_INIT_TIMEOUT_MS,
        parseAndValidate: limitedParseAndValidate(limits),
        admitConnection: (request) => rateLimits.consume('wsConnections', proxies.clientAddress(request)),
      },
    });
    live = liveService;
    ready = routerReadiness(bus, [...urls.values()]);
    stack.push(() => liveService.stop());

    const port = await listen(httpServer, env.PORT, env.HOST);
    const url = `http://${env.HOST}:${port}/graphql`;
    logger.info({ url, subgraphs: Object.fromEntries(urls), inProcess: [...inProcess.keys()] }, 'router ready');
    return { name: 'router', url, port, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The router database's shard keys, for `npm run shard`. */
export { RATE_LIMIT_SHARD_KEYS as ROUTER_SHARD_KEYS } from './limits/rate-limits.ts';
