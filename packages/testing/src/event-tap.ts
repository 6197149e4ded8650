import amqp from 'amqplib';
import { waitFor } from './wait-for.ts';

export interface TappedEvent {
  readonly routingKey: string;
  readonly messageId: unknown;
  /** The envelope as published: `{ id, type, version, occurredAt, requestId?, data }`. */
  readonly body: any;
}

export interface EventTap {
  /** Everything delivered so far, in order. */
  readonly received: readonly TappedEvent[];
  /** The next event not yet returned by `next`, waited for with a deadline. */
  next(): Promise<TappedEvent>;
  /** Every event from the next one up to and including the first that `isLast` accepts. */
  until(isLast: (event: TappedEvent) => boolean): Promise<TappedEvent[]>;
  close(): Promise<void>;
}

/**
 * Listens to the domain events a test causes, as any consumer would: an exclusive queue of its own
 * on the events exchange, bound to `bindings` (topic patterns such as `'post.*'`).
 */
export async function tapEvents(
  amqpUrl: string,
  bindings: string | readonly string[],
  exchange = 'micropost.events',
): Promise<EventTap> {
  const connection = await amqp.connect(amqpUrl);
  const channel = await connection.createChannel();
  await channel.assertExchange(exchange, 'topic', { durable: true });
  const { queue } = await channel.assertQueue('', { exclusive: true });
  for (const binding of typeof bindings === 'string' ? [bindings] : bindings)
    await channel.bindQueue(queue, exchange, binding);
  const received: TappedEvent[] = [];
  await channel.consume(
    queue,
    (message) => {
      if (message)
        received.push({
          routingKey: message.fields.routingKey,
          messageId: message.properties.messageId,
          body: JSON.parse(message.content.toString()),
        });
    },
    { noAck: true },
  );
  let read = 0;
  const next = async () => {
    const event = await waitFor(async () => received[read], {
      message: `no event arrived on the queue bound to ${String(bindings)}`,
    });
    read++;
    return event;
  };
  return {
    received,
    next,
    until: async (isLast) => {
      const events: TappedEvent[] = [];
      for (;;) {
        const event = await next();
        events.push(event);
        if (isLast(event)) return events;
      }
    },
    close: () => connection.close(),
  };
}
