import { createEvent, RabbitEventBus, type EventData, type EventEnvelope, type EventType } from '@micropost/events';
import { createLogger } from '@micropost/logger';

/**
 * Publishes domain events straight onto the events exchange, as the owning subgraphs' outbox relays
 * would: how a projection's tests feed it made-up (or replayed, reordered, duplicated) events.
 */
export class EventPublisher {
  private constructor(readonly bus: RabbitEventBus) {}

  static async connect(amqpUrl: string, exchange = 'micropost.events'): Promise<EventPublisher> {
    return new EventPublisher(
      await RabbitEventBus.connect({
        url: amqpUrl,
        exchange,
        prefetch: 1,
        logger: createLogger('test-publisher', 'silent'),
      }),
    );
  }

  /** A new event of `type` (dated `occurredAt` when given); returns its envelope. */
  async publish<T extends EventType>(type: T, data: EventData<T>, occurredAt?: Date): Promise<EventEnvelope<T>> {
    const event = createEvent(type, data);
    const envelope = (occurredAt ? { ...event, occurredAt: occurredAt.toISOString() } : event) as EventEnvelope<T>;
    await this.bus.publish(envelope as EventEnvelope);
    return envelope;
  }

  /** Envelopes as they are, in order: replays, duplicates, reorderings. */
  async republish(events: readonly EventEnvelope[]): Promise<void> {
    for (const event of events) await this.bus.publish(event);
  }

  close(): Promise<void> {
    return this.bus.close();
  }
}
