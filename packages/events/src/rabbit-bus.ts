import amqp, { type Channel, type ChannelModel, type ConfirmChannel, type RecoveringChannelModel } from 'amqplib';
import type { Logger } from '@micropost/logger';
import {
  DEFAULT_MAX_DELIVERIES,
  type Consumer,
  type ConsumeSpec,
  type EventBus,
  type EventHandler,
  type StreamHandler,
  type StreamReader,
  type StreamReadOptions,
  type StreamSpec,
  type StreamStart,
} from './bus.ts';
import { RabbitConsumer } from './rabbit-consumer.ts';
import { declareStream, RabbitStreamReader } from './rabbit-stream-reader.ts';
import { serializeEnvelope, type EventEnvelope } from './envelope.ts';
import { BrokerAddresses } from './broker-addresses.ts';

export interface RabbitEventBusOptions {
  /**
   * amqp:// or amqps:// URL; or the URLs of every node of a cluster, comma-separated: the bus
   * starts at a random one and, when its connection drops or an attempt fails, tries the next.
   */
  url: string;
  /** Durable topic exchange carrying every event; its dead-letter exchange is `<exchange>.dlx`. */
  exchange: string;
  /** Unacknowledged deliveries per consumer. */
  prefetch: number;
  logger: Logger;
  /** Deliveries of a failing message before it is dead-lettered; default 5. */
  maxDeliveries?: number;
  /** First retry pause in ms before a failed message is requeued, doubled per attempt; default 100. */
  retryBaseMs?: number;
  /** How long `publish` waits for a connection and its confirm before rejecting; default 5000. */
  publishTimeoutMs?: number;
  /** Failed attempts tolerated before the FIRST connection, so a wrong URL fails start-up; default 5 (≈ 6 s). Afterwards recovery never gives up. */
  initialMaxRetries?: number;
  /** Cap of the reconnect backoff in ms; default 5000. */
  maxReconnectDelayMs?: number;
}

/**
 * EventBus on RabbitMQ. One connection with amqplib's automatic recovery: its `setup` hook
 * re-declares the exchanges and restarts every consumer after each (re)connect, so everything comes
 * back after a broker restart, or on another node of a cluster when the URL lists several (each
 * reconnect attempt goes to the next node). Publishing uses a confirm channel; each consumer has
 * its own channel.
 */
export class RabbitEventBus implements EventBus {
  readonly #options: Required<Omit<RabbitEventBusOptions, 'logger'>>;
  readonly #logger: Logger;
  readonly #consumers = new Set<RabbitConsumer | RabbitStreamReader>();
  /** Streams this bus declared, re-declared on every connect (a wiped broker gets them back). */
  readonly #streams = new Map<string, StreamSpec>();
  /** Cuts retry pauses short on close, so shutdown does not wait for them. */
  readonly #closing = new AbortController();
  readonly #addresses: BrokerAddresses;
  #connection: RecoveringChannelModel | undefined;
  /** The live underlying connection, or undefined while disconnected. */
  #model: ChannelModel | undefined;
  #publisher: Promise<ConfirmChannel> | undefined;
  #connectWaiters: (() => void)[] = [];
  #closed = false;

  private constructor(options: RabbitEventBusOptions) {
    const { logger, ...rest } = options;
    this.#logger = logger.child({ component: 'rabbit-bus' });
    this.#options = {
      maxDeliveries: DEFAULT_MAX_DELIVERIES,
      retryBaseMs: 100,
      publishTimeoutMs: 5_000,
      initialMaxRetries: 5,
      maxReconnectDelayMs: 5_000,
      ...rest,
    };
    this.#addresses = new BrokerAddresses(this.#options.url);
  }

  /** Connects (retrying briefly) and declares the exchanges; rejects if the broker cannot be reached at start. */
  static async connect(options: RabbitEventBusOptions): Promise<RabbitEventBus> {
    const bus = new RabbitEventBus(options);
    await bus.#start();
    return bus;
  }

  get exchange(): string {
    return this.#options.exchange;
  }

  isConnected(): boolean {
    return !this.#closed && this.#model !== undefined;
  }

  /** The node this bus is connected to (or will try next), without credentials. */
  get node(): string {
    return this.#addresses.current;
  }

  get deadLetterExchange(): string {
    return `${this.#options.exchange}.dlx`;
  }

  async #start(): Promise<void> {
    const { initialMaxRetries, maxReconnectDelayMs } = this.#options;
    const addresses = this.#addresses;
    // Recovery re-reads the (getter) fields on every attempt: the next attempt goes to the next node.
    const connection = await amqp.connect(addresses.connectOptions, {
      recovery: {
        initialDelay: 200,
        maxDelay: maxReconnectDelayMs,
        maxRetries: Infinity,
        initialMaxRetries,
        waitForConnect: false,
        setup: (model: ChannelModel) => this.#setup(model),
      },
    });
    this.#connection = connection;
    // Without these listeners an 'error' event would crash the process; recovery handles the cause.
    connection.on('error', (err: Error) => this.#logger.warn({ err }, 'RabbitMQ connection error'));
    connection.on('disconnect', (err: Error) => {
      this.#model = undefined;
      this.#publisher = undefined;
      const lost = addresses.current;
      addresses.next();
      this.#logger.warn(
        { err: err.message, node: lost, next: addresses.current },
        'lost the RabbitMQ connection; recovering',
      );
    });
    connection.on('connect-failed', (err: Error) => {
      const failed = addresses.current;
      addresses.next();
      this.#logger.debug(
        { err: err.message, node: failed, next: addresses.current },
        'RabbitMQ connection attempt failed',
      );
    });
    connection.on('connect', () => this.#logger.info({ node: addresses.current }, 'connected to RabbitMQ'));
    connection.on('reconnect-failed', (err: Error) => this.#logger.error({ err }, 'gave up connecting to RabbitMQ'));
    connection.on('blocked', (reason: string) => this.#logger.warn({ reason }, 'RabbitMQ blocked publishing'));
    try {
      await connection.waitForConnect();
    } catch (err) {
      await connection.close().catch(() => {});
      throw new Error(`cannot connect to RabbitMQ at ${addresses.describe()}: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }

  /** Runs on every (re)connect before the connection is handed out: topology, publisher, consumers. */
  async #setup(model: ChannelModel): Promise<void> {
    model.on('error', () => {}); // reported through the recovering connection
    const publisher = this.#openPublisher(model);
    const channel = await publisher;
    await channel.assertExchange(this.#options.exchange, 'topic', { durable: true });
    await channel.assertExchange(this.deadLetterExchange, 'direct', { durable: true });
    for (const spec of this.#streams.values()) await declareStream(model, this.#options.exchange, spec, this.#logger);
    this.#model = model;
    this.#publisher = publisher;
    // One consumer failing to start (e.g. a queue declared elsewhere with other arguments) must not
    // take the connection and every other consumer down with it: it retries on its own.
    await Promise.all([...this.#consumers].map((consumer) => consumer.startOn(model)));
    for (const resolve of this.#connectWaiters.splice(0)) resolve();
  }

  #watchChannel(channel: Channel, role: string): void {
    channel.on('error', (err: Error) => this.#logger.warn({ err: err.message, role }, 'RabbitMQ channel error'));
  }

  async publish(event: EventEnvelope): Promise<void> {
    if (this.#closed) throw new Error('event bus is closed');
    const { publishTimeoutMs, exchange } = this.#options;
    const deadline = Date.now() + publishTimeoutMs;
    const channel = await withDeadline(this.#getPublisher(), deadline, 'RabbitMQ is not connected');
    const body = serializeEnvelope(event);
    await withDeadline(
      new Promise<void>((resolve, reject) => {
        try {
          channel.publish(
            exchange,
            event.type,
            body,
            {
              persistent: true,
              messageId: event.id,
              type: event.type,
              timestamp: Math.floor(Date.parse(event.occurredAt) / 1000),
              contentType: 'application/json',
              ...(event.requestId === undefined ? {} : { correlationId: event.requestId }),
            },
            (err: unknown) => (err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve()),
          );
        } catch (err) {
          reject(err); // the channel closed under us
        }
      }),
      deadline,
      'RabbitMQ did not confirm the message',
    );
  }

  #getPublisher(): Promise<ConfirmChannel> {
    if (this.#publisher) return this.#publisher;
    const model = this.#model;
    if (model) return (this.#publisher = this.#openPublisher(model));
    return new Promise<void>((resolve) => this.#connectWaiters.push(resolve)).then(() => this.#getPublisher());
  }

  /** A confirm channel that forgets itself when it closes, so the next publish opens a fresh one. */
  #openPublisher(model: ChannelModel): Promise<ConfirmChannel> {
    const opened: Promise<ConfirmChannel> = model.createConfirmChannel().then((channel) => {
      this.#watchChannel(channel, 'publisher');
      channel.on('close', () => {
        if (this.#publisher === opened) this.#publisher = undefined;
      });
      return channel;
    });
    opened.catch(() => {
      if (this.#publisher === opened) this.#publisher = undefined;
    });
    return opened;
  }

  async consume(spec: ConsumeSpec, handler: EventHandler): Promise<Consumer> {
    if (this.#closed) throw new Error('event bus is closed');
    const consumer = new RabbitConsumer(spec, handler, {
      exchange: this.#options.exchange,
      deadLetterExchange: this.deadLetterExchange,
      prefetch: spec.prefetch ?? this.#options.prefetch,
      maxDeliveries: this.#options.maxDeliveries,
      retryBaseMs: this.#options.retryBaseMs,
      logger: this.#logger.child({ queue: spec.queue }),
      closing: this.#closing.signal,
      currentModel: () => this.#model,
    });
    this.#consumers.add(consumer);
    // Started now if connected, otherwise by the next setup; either way wait until the queue exists
    // and is bound, so nothing published after this resolves can miss it.
    if (this.#model) void consumer.startOn(this.#model);
    await consumer.started;
    return {
      cancel: async () => {
        this.#consumers.delete(consumer);
        await consumer.cancel();
      },
    };
  }

  async declareStream(spec: StreamSpec): Promise<void> {
    if (this.#closed) throw new Error('event bus is closed');
    this.#streams.set(spec.stream, spec);
    const deadline = Date.now() + this.#options.publishTimeoutMs;
    await withDeadline(this.#getPublisher(), deadline, 'RabbitMQ is not connected');
    const model = this.#model;
    if (!model) throw new Error('RabbitMQ is not connected');
    await declareStream(model, this.#options.exchange, spec, this.#logger);
  }

  async readStream(
    stream: string,
    from: StreamStart,
    handler: StreamHandler,
    options: StreamReadOptions = {},
  ): Promise<StreamReader> {
    if (this.#closed) throw new Error('event bus is closed');
    const reader = new RabbitStreamReader(stream, from, handler, {
      prefetch: options.prefetch ?? this.#options.prefetch,
      logger: this.#logger.child({ stream }),
      currentModel: () => this.#model,
    });
    this.#consumers.add(reader);
    if (this.#model) void reader.startOn(this.#model);
    await reader.started;
    return {
      cancel: async () => {
        this.#consumers.delete(reader);
        await reader.cancel();
      },
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#closing.abort();
    await Promise.all([...this.#consumers].map((consumer) => consumer.cancel()));
    this.#consumers.clear();
    const publisher = this.#publisher;
    this.#publisher = undefined;
    if (publisher && this.#model) await publisher.then((channel) => channel.close()).catch(() => {});
    await this.#connection?.close().catch(() => {});
  }
}

function withDeadline<T>(promise: Promise<T>, deadline: number, message: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(message)), Math.max(0, deadline - Date.now()));
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}
