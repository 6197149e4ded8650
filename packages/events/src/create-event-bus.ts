import type { Logger } from '@micropost/logger';
import type { EventBus } from './bus.ts';
import { InProcessEventBus } from './in-process-bus.ts';
import { RabbitEventBus } from './rabbit-bus.ts';

export interface CreateEventBusOptions {
  /** AMQP URL (config `AMQP_URL`); without it events stay inside this process. */
  url?: string | undefined;
  /** Config `EVENTS_EXCHANGE`. */
  exchange: string;
  /** Config `AMQP_PREFETCH`. */
  prefetch: number;
  logger: Logger;
}

/** RabbitMQ when a URL is configured, else the in-process bus (single-server development only). */
export async function createEventBus(options: CreateEventBusOptions): Promise<EventBus> {
  const { url, exchange, prefetch, logger } = options;
  if (url) return RabbitEventBus.connect({ url, exchange, prefetch, logger });
  logger.warn('AMQP_URL is not set: events stay inside this process (single server only)');
  return new InProcessEventBus({ logger, prefetch });
}
