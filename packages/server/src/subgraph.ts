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
import type { DocumentNode } from 'graphql';
import type { Collection, CommandStartedEvent, Db } from 'mongodb';
import { IdentityVerifier } from '@micropost/auth';
import { amqpEnv, httpEnv, identityVerifyingEnv, logEnv, mongoEnv, parseEnvPair, z } from '@micropost/config';
import { createEventBus, OutboxRelay, type EventBus, type EventHandler } from '@micropost/events';
import { createLogger, type Logger } from '@micropost/logger';
import { connectMongo, shardKeyFields, subgraphDatabase, type ShardKeys } from '@micropost/mongo';
import { subgraphRequestContext, type RequestContext } from './context.ts';
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
  stop(): Promise<void>;
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

    const httpServer = http.createServer();
    const identities = new IdentityVerifier(env.INTERNAL_PUBLIC_KEY);
    const apollo = new ApolloServer<Context>({
      schema: buildSubgraphSchema([{ typeDefs: definition.typeDefs, resolvers: parts.resolvers }]),
      // Inline traces only feed Apollo's hosted usage reporting, which nothing here may reach.
      plugins: [
        ApolloServerPluginDrainHttpServer({ httpServer }),
        ApolloServerPluginLandingPageDisabled(),
        ApolloServerPluginInlineTraceDisabled(),
      ],
      formatError: maskInternalErrors(logger),
      includeStacktraceInErrorResponses: false,
    });
    await apollo.start();
    stack.push(() => apollo.stop());
    httpServer.on(
      'request',
      graphqlRequestListener({
        apollo,
        context: async (request) => parts.createContext(await subgraphRequestContext(request, identities, logger)),
        ready: readiness(db, bus),
      }),
    );
    const port = await listen(httpServer, env.PORT, env.HOST);
    const url = `http://${env.HOST}:${port}/graphql`;
    logger.info({ url }, 'subgraph ready');
    return { name: definition.name, url, port, stop: unwind };
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
