import http from 'node:http';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import {
  ApolloServerPluginInlineTraceDisabled,
  ApolloServerPluginLandingPageDisabled,
} from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
// 2.14 does not re-export the resolver map type from its index.
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { execute, GraphQLError, validate, type DocumentNode, type GraphQLFormattedError } from 'graphql';
import type { ApolloServerPlugin } from '@apollo/server';
import type { Collection, CommandStartedEvent, Db } from 'mongodb';
import { IdentityVerifier, type Identity } from '@micropost/auth';
import { amqpEnv, httpEnv, identityVerifyingEnv, logEnv, mongoEnv, parseEnvPair, z } from '@micropost/config';
import { createEventBus, OutboxRelay, type EventBus, type EventHandler } from '@micropost/events';
import { createLogger, type Logger } from '@micropost/logger';
import { connectMongo, shardKeyFields, subgraphDatabase, type ShardKeys } from '@micropost/mongo';
import { requestContext, subgraphRequestContext, type RequestContext } from './context.ts';
import { maskInternalErrors } from './errors.ts';
import { graphqlRequestListener, listen } from './http.ts';
import type { PeriodicTask } from './periodic-task.ts';

const baseEnv = {
  ...logEnv,
  ...httpEnv(0),
  ...mongoEnv,
  ...amqpEnv,
  ...identityVerifyingEnv,
  /** Longest wait between the outbox relay's idle polls (it starts at 1 s and doubles while idle). */
  OUTBOX_MAX_POLL_MS: z.coerce.number().int().min(1000).default(8000),
};
type BaseEnv = z.infer<z.ZodObject<typeof baseEnv>>;

/** What a subgraph's `setup` is given: everything that lives as long as the process. */
export interface SubgraphRuntime<Env> {
  readonly env: Env;
  /** The subgraph's own database; no other subgraph reads it. */
  readonly db: Db;
  readonly bus: EventBus;
  /** Wakes the outbox relay right after a write that queued events. */
  readonly outbox: { notify(): void };
  readonly logger: Logger;
}

/** A projection kept from other subgraphs' events. */
export interface EventConsumer {
  /** The durable queue is `<subgraph>.<name>`, shared by every server running this subgraph. */
  readonly name: string;
  readonly bindings: readonly string[];
  /** Deliveries handled at once by this consumer in each process; default `AMQP_PREFETCH`. */
  readonly prefetch?: number;
  /** Must be idempotent: the broker delivers at least once, and the outbox may publish twice. */
  readonly handle: EventHandler;
}

export interface SubgraphParts<Context> {
  readonly resolvers: GraphQLResolverMap<Context>;
  readonly createContext: (request: RequestContext) => Context;
  /** Collections whose documents carry an outbox the relay must drain. */
  readonly outboxCollections: readonly Collection<any>[];
  readonly consumers?: readonly EventConsumer[];
  /** Repeated background work (reconcilers, clean-ups), stopped before the database closes. */
  readonly background?: readonly PeriodicTask[];
}

export interface StartOptions {
  /** Sees every database command the subgraph sends (tests count queries with it). */
  readonly onMongoCommand?: (event: CommandStartedEvent) => void;
  /** A bus shared by every service of the process (which then closes it); otherwise the subgraph opens its own. */
  readonly bus?: EventBus;
}

export interface SubgraphDefinition<Context extends RequestContext, Shape extends z.ZodRawShape> {
  readonly name: string;
  readonly typeDefs: DocumentNode;
  /** Variables this subgraph needs beyond the shared ones. */
  readonly env: Shape;
  /**
   * Every collection of its database with its shard key (or why it stays unsharded): the stores'
   * own declarations (`<Store>.shardKeys`, next to their indexes), gathered. `npm run shard` applies them.
   */
  readonly shardKeys: ShardKeys;
  /** Opens the stores (ensuring their indexes) and assembles resolvers. */
  setup(runtime: SubgraphRuntime<BaseEnv & z.infer<z.ZodObject<Shape>>>): Promise<SubgraphParts<Context>>;
}

export function defineSubgraph<Context extends RequestContext, Shape extends z.ZodRawShape>(
  definition: SubgraphDefinition<Context, Shape>,
): SubgraphDefinition<Context, Shape> {
  return definition;
}

export interface RunningService {
  readonly name: string;
  readonly url: string;
  readonly port: number;
  /** A subgraph's schema, callable in-process by a router in the same process. */
  readonly local?: LocalSubgraph;
  stop(): Promise<void>;
}

/** One operation of a query plan, for a subgraph called in-process. */
export interface LocalSubgraphRequest {
  /** Already parsed by the router's query planner. */
  readonly document: DocumentNode;
  readonly variables?: Record<string, unknown> | undefined;
  readonly operationName?: string | undefined;
  /** The router's verified viewer: in-process, nothing else can reach the subgraph's context. */
  readonly viewer: Identity | null;
  readonly requestId: string;
}

export interface LocalSubgraphResult {
  data?: Record<string, unknown> | null;
  errors?: GraphQLFormattedError[];
}

/**
 * A subgraph as a router in the same process calls it: the same schema, context and error masking
 * as its HTTP endpoint, without the HTTP request and the JSON round trip.
 */
export interface LocalSubgraph {
  readonly name: string;
  execute(request: LocalSubgraphRequest): Promise<LocalSubgraphResult>;
}

export interface ServeSubgraphOptions<Context extends RequestContext> {
  readonly name: string;
  readonly typeDefs: DocumentNode;
  readonly resolvers: GraphQLResolverMap<Context>;
  readonly createContext: (request: RequestContext) => Context;
  readonly identities: IdentityVerifier;
  readonly logger: Logger;
  readonly ready: () => Promise<boolean>;
  readonly port: number;
  readonly host: string;
  /** Extra Apollo Server plugins (the bench records the fetches a gateway makes with one). */
  readonly plugins?: readonly ApolloServerPlugin<Context>[];
}

/**
 * A subgraph schema served over HTTP (Apollo Server behind the shared request listener, the
 * forwarded identity verified) and callable in-process; both build the context the same way.
 */
export async function serveSubgraph<Context extends RequestContext>(
  options: ServeSubgraphOptions<Context>,
): Promise<{ url: string; port: number; local: LocalSubgraph; stop(): Promise<void> }> {
  const { logger, identities, createContext } = options;
  const schema = buildSubgraphSchema([{ typeDefs: options.typeDefs, resolvers: options.resolvers }]);
  const formatError = maskInternalErrors(logger);
  const httpServer = http.createServer();
  const apollo = new ApolloServer<Context>({
    schema,
    // Inline traces only feed Apollo's hosted usage reporting, which nothing here may reach.
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      ApolloServerPluginLandingPageDisabled(),
      ApolloServerPluginInlineTraceDisabled(),
      ...(options.plugins ?? []),
    ],
    formatError,
    includeStacktraceInErrorResponses: false,
  });
  await apollo.start();
  httpServer.on(
    'request',
    graphqlRequestListener({
      apollo,
      context: async (request) => createContext(await subgraphRequestContext(request, identities, logger)),
      ready: options.ready,
    }),
  );
  let port: number;
  try {
    port = await listen(httpServer, options.port, options.host);
  } catch (error) {
    await apollo.stop();
    throw error;
  }
  // Validated once per plan document (the planner reuses them), as Apollo Server validates each request.
  const validated = new WeakMap<DocumentNode, readonly GraphQLError[]>();
  const local: LocalSubgraph = {
    name: options.name,
    async execute({ document, variables, operationName, viewer, requestId }) {
      let invalid = validated.get(document);
      if (!invalid) validated.set(document, (invalid = validate(schema, document)));
      const result = invalid.length
        ? { errors: invalid.map((error) => withCode(error, 'GRAPHQL_VALIDATION_FAILED')) }
        : await execute({
            schema,
            document,
            variableValues: variables,
            operationName,
            contextValue: createContext(requestContext(viewer, requestId, logger)),
          });
      if (!result.errors?.length) return { data: result.data as Record<string, unknown> | null };
      return {
        data: (result as { data?: Record<string, unknown> | null }).data ?? null,
        errors: result.errors.map((error) => formatError(formatted(error), error)),
      };
    },
  };
  return {
    url: `http://${options.host}:${port}/graphql`,
    port,
    local,
    stop: () => apollo.stop(),
  };
}

const withCode = (error: GraphQLError, code: string) =>
  new GraphQLError(error.message, { nodes: error.nodes, extensions: { ...error.extensions, code } });

/** What Apollo Server makes of an execution error before `formatError`: a code, never `extensions.http`. */
function formatted(error: GraphQLError): GraphQLFormattedError {
  const { http: _http, ...extensions } = error.extensions as Record<string, unknown>;
  return { ...error.toJSON(), extensions: { ...extensions, code: extensions.code ?? 'INTERNAL_SERVER_ERROR' } };
}

/** Starts a subgraph: database, event bus, outbox relay, Apollo Server and its HTTP endpoint. */
export async function startSubgraph<Context extends RequestContext, Shape extends z.ZodRawShape>(
  definition: SubgraphDefinition<Context, Shape>,
  rawEnv: Readonly<Record<string, string | undefined>> = process.env,
  options: StartOptions = {},
): Promise<RunningService> {
  const [shared, own] = parseEnvPair(baseEnv, definition.env, rawEnv);
  const env = { ...shared, ...own };
  const logger = createLogger(definition.name, env.LOG_LEVEL);
  const mongo = await connectMongo(env.MONGO_URL, { onCommand: options.onMongoCommand });
  const stack: (() => Promise<void>)[] = [() => mongo.close()];
  // Release in reverse order of acquisition, whether start-up failed halfway or the process stops.
  const unwind = async () => {
    for (const release of stack.reverse().splice(0))
      await release().catch((err) => logger.error({ err }, 'shutdown step failed'));
  };
  try {
    const bus =
      options.bus ??
      (await createEventBus({ url: env.AMQP_URL, exchange: env.EVENTS_EXCHANGE, prefetch: env.AMQP_PREFETCH, logger }));
    if (!options.bus) stack.push(() => bus.close());
    let relay: OutboxRelay | undefined;
    const db = subgraphDatabase(mongo, env.MONGO_DB_PREFIX, definition.name);
    const parts = await definition.setup({ env, db, bus, logger, outbox: { notify: () => relay?.notify() } });
    relay = new OutboxRelay({
      collections: parts.outboxCollections,
      bus,
      logger,
      maxPollMs: env.OUTBOX_MAX_POLL_MS,
      shardKeyFields: shardKeyFields(definition.shardKeys),
    });
    relay.start();
    stack.push(() => relay.stop());
    for (const task of parts.background ?? []) {
      task.start();
      stack.push(() => task.stop());
    }
    for (const consumer of parts.consumers ?? []) {
      const subscription = await bus.consume(
        {
          queue: `${definition.name}.${consumer.name}`,
          kind: 'shared',
          bindings: consumer.bindings,
          prefetch: consumer.prefetch,
        },
        consumer.handle,
      );
      stack.push(() => subscription.cancel());
    }

    const served = await serveSubgraph({
      name: definition.name,
      typeDefs: definition.typeDefs,
      resolvers: parts.resolvers,
      createContext: parts.createContext,
      identities: new IdentityVerifier(env.INTERNAL_PUBLIC_KEY),
      logger,
      ready: readiness(db, bus),
      port: env.PORT,
      host: env.HOST,
    });
    stack.push(() => served.stop());
    const { url, port, local } = served;
    logger.info({ url }, 'subgraph ready');
    return { name: definition.name, url, port, local, stop: unwind };
  } catch (error) {
    await unwind();
    throw error;
  }
}

/** A readiness probe must answer before the balancer's check times out, even while the database hangs. */
const READY_DEADLINE_MS = 2_000;

/**
 * Ready = the database answers a ping within the deadline and the broker is connected, so a balancer
 * drains a server that cannot reach either. One ping at a time: frequent checks share it.
 */
function readiness(db: Db, bus: EventBus): () => Promise<boolean> {
  let inFlight: Promise<boolean> | undefined;
  const ping = () =>
    (inFlight ??= new Promise<boolean>((resolve) => {
      // Answers on time even if the ping hangs; a late answer is ignored.
      const timer = setTimeout(() => resolve(false), READY_DEADLINE_MS);
      db.command({ ping: 1 })
        .then(
          (answer) => resolve(answer.ok === 1),
          () => resolve(false),
        )
        .finally(() => clearTimeout(timer));
    }).finally(() => (inFlight = undefined)));
  return async () => (bus.isConnected?.() ?? true) && (await ping());
}
