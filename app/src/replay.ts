// Rebuilds or catches up a projection (feed, search) from the event stream: every retained event
// (or those since --from) goes through the projection's own idempotent handlers, exactly as its
// queue would have delivered them. Stops once the stream has been idle for --idle-ms (caught up).
// History older than the stream's retention is not there: see README, "Cursors and retention".
import { setTimeout as sleep } from 'node:timers/promises';
import { amqpEnv, logEnv, mongoEnv, parseEnv, streamEnv, type z } from '@micropost/config';
import { OutboxRelay, RabbitEventBus, topicMatches, type EventEnvelope, type StreamStart } from '@micropost/events';
import { createLogger, type Logger } from '@micropost/logger';
import { connectMongo, shardKeyFields, subgraphDatabase } from '@micropost/mongo';
import { eventStreamSpec } from '@micropost/router/event-stream';
import { loadSubgraphs } from './app.ts';

/** The subgraphs whose state is a projection of events. */
export const PROJECTIONS = ['feed', 'search'] as const;
export type ProjectionName = (typeof PROJECTIONS)[number];

const replayEnv = { ...logEnv, ...mongoEnv, ...amqpEnv, ...streamEnv };

export interface ReplayOptions {
  readonly projection: ProjectionName;
  /** Only events published at or after this time (the stream seeks by chunk time); default: all retained. */
  readonly from?: Date;
  /** The stream counts as caught up after this long without a delivery; default 3000. */
  readonly idleMs?: number;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly logger?: Logger;
}

export interface ReplayResult {
  /** Events read from the stream. */
  readonly read: number;
  /** Events the projection's handlers took (bound to them and handled without error). */
  readonly handled: number;
  readonly failed: number;
}

/** Attempts per event before it is counted as failed (handlers are idempotent, so retrying is safe). */
const ATTEMPTS = 5;

export async function replayProjection(options: ReplayOptions): Promise<ReplayResult> {
  const rawEnv = options.env ?? process.env;
  const [definition] = await loadSubgraphs([options.projection]);
  if (!definition) throw new Error(`no subgraph ${options.projection} in the registry`);
  const env = { ...parseEnv(replayEnv, rawEnv), ...parseEnv(definition.env as z.ZodRawShape, rawEnv) };
  if (!env.AMQP_URL) throw new Error('AMQP_URL is not set: the event stream lives in RabbitMQ');
  const logger = options.logger ?? createLogger(`replay-${options.projection}`, env.LOG_LEVEL);
  const mongo = await connectMongo(env.MONGO_URL);
  const bus = await RabbitEventBus.connect({
    url: env.AMQP_URL,
    exchange: env.EVENTS_EXCHANGE,
    prefetch: env.AMQP_PREFETCH,
    logger,
  });
  let relay: OutboxRelay | undefined;
  try {
    const db = subgraphDatabase(mongo, env.MONGO_DB_PREFIX, definition.name);
    const parts = await definition.setup({
      env: env as never,
      db,
      bus,
      logger,
      outbox: { notify: () => relay?.notify() },
    });
    // Events a projection emits while catching up (feed.updated) go out like the server's would.
    relay = new OutboxRelay({
      collections: parts.outboxCollections,
      bus,
      logger,
      maxPollMs: 1_000,
      shardKeyFields: shardKeyFields(definition.shardKeys),
    });
    relay.start();
    const consumers = parts.consumers ?? [];
    const spec = eventStreamSpec(env);
    await bus.declareStream(spec);

    let read = 0;
    let handled = 0;
    let failed = 0;
    let lastDelivery = Date.now();
    const handle = async (event: EventEnvelope) => {
      for (const consumer of consumers) {
        if (!consumer.bindings.some((pattern) => topicMatches(pattern, event.type))) continue;
        for (let attempt = 1; ; attempt++) {
          try {
            await consumer.handle(event);
            handled++;
            break;
          } catch (err) {
            if (attempt >= ATTEMPTS) {
              failed++;
              logger.error({ err, eventId: event.id, eventType: event.type }, 'event failed in replay; skipped');
              break;
            }
            await sleep(100 * 2 ** attempt);
          }
        }
      }
    };
    const from: StreamStart = options.from ? { timestamp: options.from } : 'first';
    const reader = await bus.readStream(spec.stream, from, async ({ event }) => {
      lastDelivery = Date.now();
      read++;
      await handle(event);
      lastDelivery = Date.now();
    });
    const idleMs = options.idleMs ?? 3_000;
    while (Date.now() - lastDelivery < idleMs) await sleep(Math.min(200, idleMs));
    await reader.cancel();
    return { read, handled, failed };
  } finally {
    await relay?.stop();
    await bus.close();
    await mongo.close();
  }
}
