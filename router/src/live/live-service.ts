import type http from 'node:http';
import type { GraphQLFormattedError, GraphQLSchema } from 'graphql';
import type { AccessTokens } from '@micropost/auth';
import type { EventBus, StreamSpec } from '@micropost/events';
import type { Logger } from '@micropost/logger';
import { encodeCursor } from './cursor.ts';
import { HydrationScope, type GatewayExecutor } from './hydrator.ts';
import { liveDeliveries } from './live-channels.ts';
import { LiveHub } from './live-hub.ts';
import { RecentIds } from './recent-ids.ts';
import { ReplayScopes, resume, Slots } from './resume.ts';
import { subscriptionSchema, type LiveItem } from './subscription-schema.ts';
import { attachSubscriptionServer } from './websocket.ts';
import type { SocketLimits } from '../limits/socket-limits.ts';

export interface LiveServiceOptions {
  readonly httpServer: http.Server;
  readonly apiSchema: GraphQLSchema;
  readonly bus: EventBus;
  readonly execute: GatewayExecutor;
  readonly tokens: AccessTokens;
  readonly allowedOrigins: readonly string[];
  readonly bufferSize: number;
  /** The event stream: declared here, read from `next` for live delivery and from cursors to resume. */
  readonly stream: StreamSpec;
  /** Replays (resuming subscriptions) this server runs at once; more wait their turn. */
  readonly resumeConcurrency: number;
  /** Unacknowledged deliveries per stream reader. */
  readonly prefetch: number;
  readonly formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
  readonly logger: Logger;
  readonly socketLimits: SocketLimits;
}

export interface LiveService {
  readonly hub: LiveHub<LiveItem>;
  stop(): Promise<void>;
}

/**
 * The subscription service of one router process. It reads the event stream from `next` (after a
 * reconnect, from where it stopped), so every event has one global position, the offset, which is
 * each `next` payload's cursor; each event is routed in memory to the matching subscriptions on this
 * server and hydrated once per selection. A subscription with `after` replays the stream first.
 */
export async function startLiveService(options: LiveServiceOptions): Promise<LiveService> {
  const logger = options.logger.child({ component: 'live' });
  const hub = new LiveHub<LiveItem>(options.bufferSize, logger);
  await options.bus.declareStream(options.stream);
  const live = await startLiveReader({ ...options, hub, logger });
  const slots = new Slots(options.resumeConcurrency);
  const resumeOptions = {
    bus: options.bus,
    stream: options.stream.stream,
    hub,
    liveHead: live.head,
    scopes: new ReplayScopes(options.execute, logger),
    logger,
    bufferSize: options.bufferSize,
    slots,
    verifyTimeoutMs: 10_000,
    prefetch: options.prefetch,
  };
  const sockets = attachSubscriptionServer({
    httpServer: options.httpServer,
    schema: subscriptionSchema(options.apiSchema),
    hub,
    resume: (channel, cursor) => resume(resumeOptions, channel, cursor),
    tokens: options.tokens,
    allowedOrigins: options.allowedOrigins,
    formatError: options.formatError,
    logger,
    limits: options.socketLimits,
  });
  return {
    hub,
    stop: async () => {
      await sockets.close();
      await live.cancel();
    },
  };
}

export interface LiveReader {
  /** The offset handled last (undefined until one was). */
  head(): number | undefined;
  cancel(): Promise<void>;
}

/** Reads the stream from `next` and hands each event's deliveries to the hub, hydrated once per event. */
export async function startLiveReader(options: {
  readonly bus: EventBus;
  readonly stream: StreamSpec;
  readonly hub: LiveHub<LiveItem>;
  readonly execute: GatewayExecutor;
  readonly prefetch: number;
  readonly logger: Logger;
}): Promise<LiveReader> {
  const { hub, logger } = options;
  // Far more than the events of the few minutes in which a duplicate can arrive.
  const seen = new RecentIds(10_000);
  let head: number | undefined;
  const reader = await options.bus.readStream(
    options.stream.stream,
    'next',
    async ({ offset, event }) => {
      // Set with the deliveries, in one turn: a resuming subscription compares its replay with it.
      head = offset;
      if (!seen.firstSighting(event.id)) return;
      const deliveries = liveDeliveries(event);
      if (deliveries.length === 0) return;
      const scope = new HydrationScope(options.execute, logger);
      const cursor = encodeCursor(offset, event.id);
      for (const { channel, payload } of deliveries)
        hub.deliver(channel, { cursor, offset, eventId: event.id, payload, scope });
    },
    { prefetch: options.prefetch },
  );
  return { head: () => head, cancel: () => reader.cancel() };
}
