import { setTimeout as sleep } from 'node:timers/promises';
import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import type { Logger } from '@micropost/logger';
import { type ConsumeSpec, dlqName, type EventHandler, retryDelayMs } from './bus.ts';
import { type EventEnvelope, type MalformedEventError, parseEnvelope } from './envelope.ts';
import { ChannelConsumer, settle } from './rabbit-channel-consumer.ts';
import { isUnavailableError } from './unavailable.ts';

/** Server queues' dead letters are only diagnostics for that one process: they expire when unused. */
const SERVER_DLQ_EXPIRES_MS = 60 * 60 * 1000;

export interface ConsumerContext {
  logger: Logger;
  currentModel: () => ChannelModel | undefined;
  exchange: string;
  deadLetterExchange: string;
  prefetch: number;
  maxDeliveries: number;
  retryBaseMs: number;
  closing: AbortSignal;
}

/** One `consume` call: its queue topology and a channel, re-created on every connection. */
export class RabbitConsumer extends ChannelConsumer {
  #inFlight = 0;
  #idle: (() => void)[] = [];
  /** Deliveries per message id on classic (server) queues, which do not count deliveries themselves. */
  readonly #deliveries = new Map<string, number>();

  constructor(
    readonly spec: ConsumeSpec,
    readonly handler: EventHandler,
    readonly ctx: ConsumerContext,
  ) {
    super(ctx.logger, ctx.currentModel, 'consumer');
  }

  protected async subscribe(channel: Channel): Promise<string> {
    await channel.prefetch(this.ctx.prefetch);
    await this.#declare(channel);
    const { consumerTag } = await channel.consume(this.spec.queue, (message) => this.deliver(channel, message), {
      noAck: false,
    });
    return consumerTag;
  }

  async #declare(channel: Channel): Promise<void> {
    const { queue, kind, bindings } = this.spec;
    const dlq = dlqName(queue);
    // Dead letters are routed by queue name so each queue's poison lands only in its own DLQ.
    const deadLettering = { 'x-dead-letter-exchange': this.ctx.deadLetterExchange, 'x-dead-letter-routing-key': queue };
    if (kind === 'shared') {
      await channel.assertQueue(queue, {
        durable: true,
        // The broker's own delivery limit also catches a message that crashes the whole process.
        arguments: { 'x-queue-type': 'quorum', 'x-delivery-limit': this.ctx.maxDeliveries, ...deadLettering },
      });
      await channel.assertQueue(dlq, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    } else {
      await channel.assertQueue(queue, { exclusive: true, autoDelete: true, durable: false, arguments: deadLettering });
      await channel.assertQueue(dlq, { durable: false, arguments: { 'x-expires': SERVER_DLQ_EXPIRES_MS } });
    }
    await channel.bindQueue(dlq, this.ctx.deadLetterExchange, queue);
    for (const pattern of bindings) await channel.bindQueue(queue, this.ctx.exchange, pattern);
  }

  protected override onChannelLost(): void {
    this.#deliveries.clear(); // unacked messages go back to the queue (or vanish with a server queue)
  }

  protected onMessage(channel: Channel, message: ConsumeMessage): void {
    this.#inFlight++;
    void this.#handle(channel, message).finally(() => {
      this.#inFlight--;
      if (this.#inFlight === 0) for (const resolve of this.#idle.splice(0)) resolve();
    });
  }

  async #handle(channel: Channel, message: ConsumeMessage): Promise<void> {
    let event: EventEnvelope;
    try {
      event = parseEnvelope(message.content);
    } catch (err) {
      this.logger.error(
        {
          error: (err as MalformedEventError).message,
          routingKey: message.fields.routingKey,
          messageId: message.properties.messageId,
        },
        'malformed event dead-lettered',
      );
      settle(() => channel.nack(message, false, false));
      return;
    }
    try {
      await this.#handleWhileReachable(channel, event);
      this.#deliveries.delete(event.id);
      settle(() => channel.ack(message));
    } catch (err) {
      const deliveries = this.#countDelivery(message, event.id);
      const log = { err, eventId: event.id, eventType: event.type, deliveries };
      if (deliveries >= this.ctx.maxDeliveries) {
        this.#deliveries.delete(event.id);
        this.logger.error(log, 'event handler failed; dead-lettered');
        settle(() => channel.nack(message, false, false));
        return;
      }
      this.logger.warn(log, 'event handler failed; will retry');
      await sleep(retryDelayMs(deliveries, this.ctx.retryBaseMs), undefined, { signal: this.ctx.closing }).catch(
        () => {},
      );
      settle(() => channel.nack(message, false, true));
    }
  }

  /**
   * Runs the handler; while it fails because a dependency (the database) is unreachable, retries in
   * place with the message held. Requeueing would count towards the delivery limit, and an outage
   * of a few seconds would dead-letter every event in flight: a projection would lose them for good.
   */
  async #handleWhileReachable(channel: Channel, event: EventEnvelope): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.handler(event);
      } catch (err) {
        // Broker gone (the delivery is void) or shutting down: let the normal path settle it.
        if (!isUnavailableError(err) || this.ctx.closing.aborted || !this.isCurrent(channel)) throw err;
        if (attempt === 1) this.logger.warn({ err, eventId: event.id }, 'dependency unavailable; retrying in place');
        await sleep(Math.min(this.ctx.retryBaseMs * 2 ** attempt, 2_000), undefined, {
          signal: this.ctx.closing,
        }).catch(() => {});
      }
    }
  }

  /** This delivery's number (1 = first): quorum queues count in `x-delivery-count`, server queues here. */
  #countDelivery(message: ConsumeMessage, eventId: string): number {
    if (this.spec.kind === 'shared') {
      // Counted by the broker, so retries on other servers (or before a crash) count too.
      const header: unknown = message.properties.headers?.['x-delivery-count'];
      return (typeof header === 'number' ? header : 0) + 1;
    }
    const count = (this.#deliveries.get(eventId) ?? 0) + 1;
    this.#deliveries.set(eventId, count);
    return count;
  }

  protected async drain(): Promise<void> {
    if (this.#inFlight > 0) await new Promise<void>((resolve) => this.#idle.push(resolve));
  }
}
