import { setTimeout as sleep } from 'node:timers/promises';
import amqp, {
  type Channel,
  type ChannelModel,
  type ConfirmChannel,
  type ConsumeMessage,
  type RecoveringChannelModel,
} from 'amqplib';
import type { Logger } from '@micropost/logger';
import {
  DEFAULT_MAX_DELIVERIES,
  dlqName,
  retryDelayMs,
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
import { isUnavailableError } from './unavailable.ts';
import { type MalformedEventError, parseEnvelope, serializeEnvelope, type EventEnvelope } from './envelope.ts';

export interface RabbitEventBusOptions {
  /** amqp:// or amqps:// URL. */
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

/** Server queues' dead letters are only diagnostics for that one process: they expire when unused. */
const SERVER_DLQ_EXPIRES_MS = 60 * 60 * 1000;

/**
 * EventBus on RabbitMQ. One connection with amqplib's automatic recovery: its `setup` hook
 * re-declares the exchanges and restarts every consumer after each (re)connect, so everything comes
 * back after a broker restart. Publishing uses a confirm channel; each consumer has its own channel.
 */
export class RabbitEventBus implements EventBus {
  readonly #options: Required<Omit<RabbitEventBusOptions, 'logger'>>;
  readonly #logger: Logger;
  readonly #consumers = new Set<RabbitConsumer | RabbitStreamReader>();
  /** Streams this bus declared, re-declared on every connect (a wiped broker gets them back). */
  readonly #streams = new Map<string, StreamSpec>();
  /** Cuts retry pauses short on close, so shutdown does not wait for them. */
  readonly #closing = new AbortController();
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

  get deadLetterExchange(): string {
    return `${this.#options.exchange}.dlx`;
  }

  async #start(): Promise<void> {
    const { url, initialMaxRetries, maxReconnectDelayMs } = this.#options;
    const connection = await amqp.connect(url, {
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
      this.#logger.warn({ err: err.message }, 'lost the RabbitMQ connection; recovering');
    });
    connection.on('connect', () => this.#logger.info('connected to RabbitMQ'));
    connection.on('reconnect-failed', (err: Error) => this.#logger.error({ err }, 'gave up connecting to RabbitMQ'));
    connection.on('blocked', (reason: string) => this.#logger.warn({ reason }, 'RabbitMQ blocked publishing'));
    try {
      await connection.waitForConnect();
    } catch (err) {
      await connection.close().catch(() => {});
      throw new Error(`cannot connect to RabbitMQ at ${redact(url)}: ${(err as Error).message}`, { cause: err });
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
      prefetch: this.#options.prefetch,
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

interface ConsumerContext {
  exchange: string;
  deadLetterExchange: string;
  prefetch: number;
  maxDeliveries: number;
  retryBaseMs: number;
  logger: Logger;
  closing: AbortSignal;
  currentModel: () => ChannelModel | undefined;
}

/** One `consume` call: its queue topology and a channel, re-created on every connection. */
class RabbitConsumer {
  readonly started: Promise<void>;
  #markStarted!: () => void;
  #channel: Channel | undefined;
  #model: ChannelModel | undefined;
  #consumerTag: string | undefined;
  /** Serializes starts: setup and a channel-level restart may race. */
  #chain: Promise<void> = Promise.resolve();
  #restartTimer: NodeJS.Timeout | undefined;
  #restartAttempt = 0;
  #inFlight = 0;
  #idle: (() => void)[] = [];
  /** Deliveries per message id on classic (server) queues, which do not count deliveries themselves. */
  readonly #deliveries = new Map<string, number>();
  #cancelled = false;

  constructor(
    readonly spec: ConsumeSpec,
    readonly handler: EventHandler,
    readonly ctx: ConsumerContext,
  ) {
    this.started = new Promise((resolve) => (this.#markStarted = resolve));
  }

  startOn(model: ChannelModel): Promise<void> {
    this.#chain = this.#chain.then(() => this.#startOn(model));
    return this.#chain;
  }

  async #startOn(model: ChannelModel): Promise<void> {
    if (this.#cancelled || (this.#model === model && this.#channel)) return;
    let channel: Channel | undefined;
    try {
      channel = await model.createChannel();
      const opened = channel;
      opened.on('error', (err: Error) => this.ctx.logger.warn({ err: err.message }, 'consumer channel error'));
      opened.on('close', () => this.#onChannelClosed(opened, model));
      await opened.prefetch(this.ctx.prefetch);
      await this.#declare(opened);
      const { consumerTag } = await opened.consume(this.spec.queue, (message) => this.#onMessage(opened, message), {
        noAck: false,
      });
      this.#channel = opened;
      this.#model = model;
      this.#consumerTag = consumerTag;
      this.#restartAttempt = 0;
      this.#markStarted();
    } catch (err) {
      this.ctx.logger.error({ err }, 'could not start consumer; will retry');
      await channel?.close().catch(() => {});
      this.#scheduleRestart(model);
    }
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

  #onChannelClosed(channel: Channel, model: ChannelModel): void {
    if (this.#channel !== channel) return;
    this.#channel = undefined;
    this.#consumerTag = undefined;
    this.#deliveries.clear(); // unacked messages go back to the queue (or vanish with a server queue)
    // A dropped connection is handled by recovery's setup; only a channel closed on a live
    // connection (queue deleted, channel error) needs restarting here.
    if (!this.#cancelled) this.#scheduleRestart(model);
  }

  #scheduleRestart(model: ChannelModel): void {
    if (this.#cancelled || this.#restartTimer) return;
    this.#restartAttempt++;
    const delay = Math.min(500 * 2 ** (this.#restartAttempt - 1), 30_000);
    this.#restartTimer = setTimeout(() => {
      this.#restartTimer = undefined;
      // If the connection was replaced meanwhile, its setup has (re)started this consumer.
      if (this.ctx.currentModel() === model) void this.startOn(model);
    }, delay);
    this.#restartTimer.unref();
  }

  #onMessage(channel: Channel, message: ConsumeMessage | null): void {
    if (message === null) {
      // The broker cancelled us (queue deleted): close the channel, which schedules a restart.
      this.ctx.logger.warn('consumer cancelled by the broker; restarting');
      void channel.close().catch(() => {});
      return;
    }
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
      this.ctx.logger.error(
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
        this.ctx.logger.error(log, 'event handler failed; dead-lettered');
        settle(() => channel.nack(message, false, false));
        return;
      }
      this.ctx.logger.warn(log, 'event handler failed; will retry');
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
        if (!isUnavailableError(err) || this.ctx.closing.aborted || this.#channel !== channel) throw err;
        if (attempt === 1)
          this.ctx.logger.warn({ err, eventId: event.id }, 'dependency unavailable; retrying in place');
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

  /** Stops deliveries, lets in-flight handlers finish (their acks still go out), then closes the channel. */
  async cancel(): Promise<void> {
    this.#cancelled = true;
    clearTimeout(this.#restartTimer);
    this.#restartTimer = undefined;
    this.#markStarted(); // nobody waits for a start that will not come
    await this.#chain;
    const channel = this.#channel;
    const tag = this.#consumerTag;
    if (channel && tag) await channel.cancel(tag).catch(() => {});
    if (this.#inFlight > 0) await new Promise<void>((resolve) => this.#idle.push(resolve));
    this.#channel = undefined;
    if (channel) await channel.close().catch(() => {});
  }
}

/**
 * Declares a stream and its bindings on channels of its own. A stream that exists with other
 * retention arguments is kept as it is (the broker refuses to redeclare it; change retention with a
 * policy) and logged, rather than failing the start.
 */
async function declareStream(model: ChannelModel, exchange: string, spec: StreamSpec, logger: Logger): Promise<void> {
  const declare = await model.createChannel();
  declare.on('error', () => {}); // a refused declaration closes it; handled below
  try {
    await declare.assertQueue(spec.stream, {
      durable: true,
      arguments: {
        'x-queue-type': 'stream',
        'x-max-age': spec.maxAge,
        'x-max-length-bytes': spec.maxLengthBytes,
        ...(spec.maxSegmentBytes === undefined ? {} : { 'x-stream-max-segment-size-bytes': spec.maxSegmentBytes }),
      },
    });
    await declare.close();
  } catch (err) {
    if ((err as { code?: number }).code !== 406) throw err;
    logger.warn(
      { stream: spec.stream, err: (err as Error).message },
      'the stream exists with other arguments; keeping them (set retention with a policy)',
    );
  }
  const bind = await model.createChannel();
  try {
    for (const pattern of spec.bindings) await bind.bindQueue(spec.stream, exchange, pattern);
  } finally {
    await bind.close().catch(() => {});
  }
}

/** `x-stream-offset` as the broker expects it: typed explicitly, since amqplib would send small numbers as 32-bit. */
function offsetArgument(from: StreamStart): unknown {
  if (from === 'first' || from === 'next') return from;
  if ('offset' in from) return { '!': 'long', value: from.offset };
  return { '!': 'timestamp', value: Math.floor(from.timestamp.getTime() / 1000) };
}

interface StreamReaderContext {
  prefetch: number;
  logger: Logger;
  currentModel: () => ChannelModel | undefined;
}

/** One `readStream`: a stream consumer on its own channel that resumes after its last offset on every (re)start. */
class RabbitStreamReader {
  readonly started: Promise<void>;
  #markStarted!: () => void;
  #from: StreamStart;
  /** Lowest offset still to hand over: the broker starts at a chunk boundary and repeats after a restart. */
  #minOffset = 0;
  #channel: Channel | undefined;
  #model: ChannelModel | undefined;
  #consumerTag: string | undefined;
  #chain: Promise<void> = Promise.resolve();
  /** Deliveries are handled strictly one after another, in offset order. */
  #work: Promise<void> = Promise.resolve();
  #restartTimer: NodeJS.Timeout | undefined;
  #restartAttempt = 0;
  #cancelled = false;

  constructor(
    readonly stream: string,
    from: StreamStart,
    readonly handler: StreamHandler,
    readonly ctx: StreamReaderContext,
  ) {
    this.#from = from;
    if (typeof from === 'object' && 'offset' in from) this.#minOffset = from.offset;
    this.started = new Promise((resolve) => (this.#markStarted = resolve));
  }

  startOn(model: ChannelModel): Promise<void> {
    this.#chain = this.#chain.then(() => this.#startOn(model));
    return this.#chain;
  }

  async #startOn(model: ChannelModel): Promise<void> {
    if (this.#cancelled || (this.#model === model && this.#channel)) return;
    let channel: Channel | undefined;
    try {
      channel = await model.createChannel();
      const opened = channel;
      opened.on('error', (err: Error) => this.ctx.logger.warn({ err: err.message }, 'stream channel error'));
      opened.on('close', () => this.#onChannelClosed(opened, model));
      await opened.prefetch(this.ctx.prefetch); // streams require a QoS prefetch
      const { consumerTag } = await opened.consume(this.stream, (message) => this.#onMessage(opened, message), {
        noAck: false,
        arguments: { 'x-stream-offset': offsetArgument(this.#from) },
      });
      this.#channel = opened;
      this.#model = model;
      this.#consumerTag = consumerTag;
      this.#restartAttempt = 0;
      this.#markStarted();
    } catch (err) {
      this.ctx.logger.error({ err }, 'could not start stream reader; will retry');
      await channel?.close().catch(() => {});
      this.#scheduleRestart(model);
    }
  }

  #onChannelClosed(channel: Channel, model: ChannelModel): void {
    if (this.#channel !== channel) return;
    this.#channel = undefined;
    this.#consumerTag = undefined;
    if (!this.#cancelled) this.#scheduleRestart(model);
  }

  #scheduleRestart(model: ChannelModel): void {
    if (this.#cancelled || this.#restartTimer) return;
    this.#restartAttempt++;
    const delay = Math.min(500 * 2 ** (this.#restartAttempt - 1), 30_000);
    this.#restartTimer = setTimeout(() => {
      this.#restartTimer = undefined;
      if (this.ctx.currentModel() === model) void this.startOn(model);
    }, delay);
    this.#restartTimer.unref();
  }

  #onMessage(channel: Channel, message: ConsumeMessage | null): void {
    if (message === null) {
      this.ctx.logger.warn('stream reader cancelled by the broker; restarting');
      void channel.close().catch(() => {});
      return;
    }
    this.#work = this.#work.then(() => this.#handle(channel, message));
  }

  async #handle(channel: Channel, message: ConsumeMessage): Promise<void> {
    const offset = Number(message.properties.headers?.['x-stream-offset']);
    try {
      if (this.#cancelled || !Number.isSafeInteger(offset) || offset < this.#minOffset) return;
      this.#minOffset = offset + 1;
      // A restart resumes right after what was handled: no gap, no repeat.
      this.#from = { offset: offset + 1 };
      let event: EventEnvelope;
      try {
        event = parseEnvelope(message.content);
      } catch (err) {
        this.ctx.logger.error({ error: (err as Error).message, offset }, 'malformed stream entry skipped');
        return;
      }
      try {
        await this.handler({ offset, event });
      } catch (err) {
        this.ctx.logger.error({ err, offset, eventId: event.id }, 'stream handler failed; skipped');
      }
    } finally {
      settle(() => channel.ack(message));
    }
  }

  async cancel(): Promise<void> {
    this.#cancelled = true;
    clearTimeout(this.#restartTimer);
    this.#restartTimer = undefined;
    this.#markStarted();
    await this.#chain;
    const channel = this.#channel;
    const tag = this.#consumerTag;
    if (channel && tag) await channel.cancel(tag).catch(() => {});
    await this.#work;
    this.#channel = undefined;
    if (channel) await channel.close().catch(() => {});
  }
}

/** Ack/nack on a channel that may have closed meanwhile: the broker then redelivers, which idempotent consumers tolerate. */
function settle(action: () => void): void {
  try {
    action();
  } catch {
    // IllegalOperationError: channel closed; nothing else to do.
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

function redact(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}
