import type http from 'node:http';
import { randomUUID } from 'node:crypto';
import type { GraphQLFormattedError, GraphQLSchema } from 'graphql';
import type { AccessTokens } from '@micropost/auth';
import type { EventBus } from '@micropost/events';
import type { Logger } from '@micropost/logger';
import { encodeCursor } from './cursor.ts';
import { HydrationScope, type GatewayExecutor } from './hydrator.ts';
import { LIVE_EVENT_TYPES, liveDeliveries } from './live-channels.ts';
import { LiveHub } from './live-hub.ts';
import { RecentIds } from './recent-ids.ts';
import { subscriptionSchema, type LiveItem } from './subscription-schema.ts';
import { attachSubscriptionServer } from './websocket.ts';

export interface LiveServiceOptions {
  readonly httpServer: http.Server;
  readonly apiSchema: GraphQLSchema;
  readonly bus: EventBus;
  readonly execute: GatewayExecutor;
  readonly tokens: AccessTokens;
  readonly allowedOrigins: readonly string[];
  readonly bufferSize: number;
  readonly formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
  readonly logger: Logger;
}

export interface LiveService {
  readonly hub: LiveHub<LiveItem>;
  stop(): Promise<void>;
}

/**
 * The subscription service of one router process: its own RabbitMQ queue (exclusive, gone with the
 * process) bound to the events live clients need; each event is routed in memory to the matching
 * subscriptions on this server and hydrated once per selection.
 */
export async function startLiveService(options: LiveServiceOptions): Promise<LiveService> {
  const logger = options.logger.child({ component: 'live' });
  const hub = new LiveHub<LiveItem>(options.bufferSize, logger);
  // Far more than the events of the few minutes in which a duplicate can arrive.
  const seen = new RecentIds(10_000);
  const consumer = await options.bus.consume(
    { queue: `router.live.${randomUUID()}`, kind: 'server', bindings: [...LIVE_EVENT_TYPES] },
    async (event) => {
      if (!seen.firstSighting(event.id)) return;
      const deliveries = liveDeliveries(event);
      if (deliveries.length === 0) return;
      const scope = new HydrationScope(options.execute, logger);
      const cursor = encodeCursor(event.id);
      for (const { channel, payload } of deliveries) hub.deliver(channel, { cursor, payload, scope });
    },
  );
  const sockets = attachSubscriptionServer({
    httpServer: options.httpServer,
    schema: subscriptionSchema(options.apiSchema),
    hub,
    tokens: options.tokens,
    allowedOrigins: options.allowedOrigins,
    formatError: options.formatError,
    logger,
  });
  return {
    hub,
    stop: async () => {
      await sockets.close();
      await consumer.cancel();
    },
  };
}
