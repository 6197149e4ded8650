import type { Logger } from '@micropost/logger';
import {
  DEFAULT_MAX_DELIVERIES,
  retryDelayMs,
  type Consumer,
  type ConsumeSpec,
  type EventBus,
  type EventHandler,
  maxAgeMs,
  type StreamHandler,
  type StreamReader,
  type StreamSpec,
  type StreamStart,
} from './bus.ts';
import { MalformedEventError, parseEnvelope, serializeEnvelope, type EventEnvelope } from './envelope.ts';
import { topicMatches } from './topic.ts';

export interface InProcessEventBusOptions {
  logger: Logger;
  /** Concurrent deliveries per consumer, like AMQP prefetch; default 32. */
  prefetch?: number;
  /** Deliveries of a failing message before it is dead-lettered; default 5. */
  maxDeliveries?: number;
  /** First retry pause in ms, doubled per attempt up to 5 s; default 50. */
  retryBaseMs?: number;
}

/** A message that could not be handled, kept in the queue's dead-letter list. */
export interface DeadLetter {
  readonly routingKey: string;
  readonly body: Buffer;
  readonly reason: 'malformed' | 'rejected';
  readonly error: string;
}

interface Message {
  readonly routingKey: string;
  /** Serialized like on the wire, so consumers get their own copy and the same validation as with RabbitMQ. */
  readonly body: Buffer;
  deliveries: number;
}

interface LocalConsumer {
  readonly handler: EventHandler;
  readonly prefetch: number;
  inFlight: number;
  cancelled: boolean;
  idle: (() => void)[];
}

interface LocalQueue {
  readonly name: string;
  readonly kind: ConsumeSpec['kind'];
  /** Bindings accumulate across `consume` calls, as they do on a broker queue. */
  readonly bindings: Set<string>;
  readonly messages: Message[];
  consumers: LocalConsumer[];
  nextConsumer: number;
  readonly deadLetters: DeadLetter[];
}

/** Ceiling of an in-memory stream, whatever its spec says (a broker's would be on disk). */
const IN_PROCESS_STREAM_MAX_BYTES = 64 * 1024 * 1024;

interface StreamEntry {
  readonly offset: number;
  readonly body: Buffer;
  readonly timestamp: number;
}

interface LocalStream {
  readonly spec: StreamSpec;
  /** Retained entries, oldest first: an in-memory ring trimmed by age and size like a broker stream. */
  readonly entries: StreamEntry[];
  bytes: number;
  nextOffset: number;
  readonly readers: Set<LocalStreamReader>;
}

/** One `readStream`: a position in the stream, advanced one handled event at a time. */
class LocalStreamReader {
  #running = false;
  #cancelled = false;
  #current: Promise<void> = Promise.resolve();

  constructor(
    private readonly stream: LocalStream,
    private position: number,
    private readonly handler: StreamHandler,
    private readonly logger: Logger,
  ) {}

  /** Delivers what is retained from the position on; called again whenever the stream grows. */
  wake(): void {
    if (this.#running || this.#cancelled) return;
    this.#running = true;
    this.#current = this.#run();
  }

  async #run(): Promise<void> {
    while (true) {
      const { entries } = this.stream;
      const first = entries[0];
      if (this.#cancelled || !first || this.position >= this.stream.nextOffset) {
        // Cleared in the same turn as the last check, so an append right after wakes a new run.
        this.#running = false;
        return;
      }
      // Offsets are contiguous, so the entry is found by subtraction; a trimmed position jumps to the oldest.
      const entry = entries[Math.max(0, this.position - first.offset)]!;
      this.position = entry.offset + 1;
      let event: EventEnvelope;
      try {
        event = parseEnvelope(entry.body);
      } catch (error) {
        this.logger.error({ error: (error as Error).message, offset: entry.offset }, 'malformed stream entry skipped');
        continue;
      }
      try {
        await this.handler({ offset: entry.offset, event });
      } catch (error) {
        this.logger.error({ err: error, offset: entry.offset, eventId: event.id }, 'stream handler failed; skipped');
      }
    }
  }

  async cancel(): Promise<void> {
    this.#cancelled = true;
    this.stream.readers.delete(this);
    await this.#current;
  }
}

/**
 * The EventBus inside one process, for `npm start` without RabbitMQ: same routing, one delivery per
 * queue per event, bounded retries then a dead-letter list. Nothing survives a restart.
 */
export class InProcessEventBus implements EventBus {
  readonly #logger: Logger;
  readonly #prefetch: number;
  readonly #maxDeliveries: number;
  readonly #retryBaseMs: number;
  readonly #queues = new Map<string, LocalQueue>();
  readonly #streams = new Map<string, LocalStream>();
  readonly #retryTimers = new Set<NodeJS.Timeout>();
  #closed = false;

  constructor(options: InProcessEventBusOptions) {
    this.#logger = options.logger;
    this.#prefetch = options.prefetch ?? 32;
    this.#maxDeliveries = options.maxDeliveries ?? DEFAULT_MAX_DELIVERIES;
    this.#retryBaseMs = options.retryBaseMs ?? 50;
  }

  async publish(event: EventEnvelope): Promise<void> {
    this.publishRaw(event.type, serializeEnvelope(event));
  }

  /** Routes arbitrary bytes as if a foreign producer had sent them (tests use it for malformed messages). */
  publishRaw(routingKey: string, body: Buffer): void {
    if (this.#closed) throw new Error('event bus is closed');
    for (const stream of this.#streams.values()) {
      if (stream.spec.bindings.some((pattern) => topicMatches(pattern, routingKey))) this.#append(stream, body);
    }
    for (const queue of this.#queues.values()) {
      if (![...queue.bindings].some((pattern) => topicMatches(pattern, routingKey))) continue;
      queue.messages.push({ routingKey, body, deliveries: 0 });
      this.#pump(queue);
    }
  }

  async consume(spec: ConsumeSpec, handler: EventHandler): Promise<Consumer> {
    if (this.#closed) throw new Error('event bus is closed');
    let queue = this.#queues.get(spec.queue);
    if (queue && queue.kind !== spec.kind) throw new Error(`queue ${spec.queue} is already declared as ${queue.kind}`);
    if (!queue) {
      queue = {
        name: spec.queue,
        kind: spec.kind,
        bindings: new Set(),
        messages: [],
        consumers: [],
        nextConsumer: 0,
        deadLetters: [],
      };
      this.#queues.set(spec.queue, queue);
    }
    for (const binding of spec.bindings) queue.bindings.add(binding);
    const consumer: LocalConsumer = {
      handler,
      prefetch: spec.prefetch ?? this.#prefetch,
      inFlight: 0,
      cancelled: false,
      idle: [],
    };
    queue.consumers.push(consumer);
    const owner = queue;
    this.#pump(queue);
    return { cancel: () => this.#cancel(owner, consumer) };
  }

  async declareStream(spec: StreamSpec): Promise<void> {
    if (this.#closed) throw new Error('event bus is closed');
    maxAgeMs(spec.maxAge); // fail on a bad value here, as the broker would
    if (!this.#streams.has(spec.stream))
      this.#streams.set(spec.stream, { spec, entries: [], bytes: 0, nextOffset: 0, readers: new Set() });
  }

  async readStream(stream: string, from: StreamStart, handler: StreamHandler): Promise<StreamReader> {
    if (this.#closed) throw new Error('event bus is closed');
    const target = this.#streams.get(stream);
    if (!target) throw new Error(`stream ${stream} is not declared`);
    this.#trim(target);
    const reader = new LocalStreamReader(target, this.#startOffset(target, from), handler, this.#logger);
    target.readers.add(reader);
    reader.wake();
    return reader;
  }

  #startOffset(stream: LocalStream, from: StreamStart): number {
    if (from === 'next') return stream.nextOffset;
    if (from === 'first') return stream.entries[0]?.offset ?? stream.nextOffset;
    if ('offset' in from) return from.offset;
    const time = from.timestamp.getTime();
    return stream.entries.find((entry) => entry.timestamp >= time)?.offset ?? stream.nextOffset;
  }

  #append(stream: LocalStream, body: Buffer): void {
    stream.entries.push({ offset: stream.nextOffset++, body, timestamp: Date.now() });
    stream.bytes += body.length;
    this.#trim(stream);
    for (const reader of stream.readers) reader.wake();
  }

  /**
   * Retention: by size (never more than IN_PROCESS_STREAM_MAX_BYTES: this ring is process memory),
   * then by age, always keeping the newest entry, as a broker keeps its open segment.
   */
  #trim(stream: LocalStream): void {
    const oldest = Date.now() - maxAgeMs(stream.spec.maxAge);
    const maxBytes = Math.min(stream.spec.maxLengthBytes, IN_PROCESS_STREAM_MAX_BYTES);
    const { entries } = stream;
    while (entries.length > 1 && (stream.bytes > maxBytes || entries[0]!.timestamp < oldest)) {
      stream.bytes -= entries.shift()!.body.length;
    }
  }

  /** Dead-lettered messages of `queue` (its `<queue>.dlq`), oldest first. */
  deadLetters(queue: string): readonly DeadLetter[] {
    return this.#queues.get(queue)?.deadLetters ?? [];
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const timer of this.#retryTimers) clearTimeout(timer);
    this.#retryTimers.clear();
    const cancels = [...this.#queues.values()].flatMap((queue) =>
      queue.consumers.map((consumer) => this.#cancel(queue, consumer)),
    );
    await Promise.all(cancels);
    this.#queues.clear();
    await Promise.all([...this.#streams.values()].flatMap((stream) => [...stream.readers].map((r) => r.cancel())));
    this.#streams.clear();
  }

  async #cancel(queue: LocalQueue, consumer: LocalConsumer): Promise<void> {
    if (!consumer.cancelled) {
      consumer.cancelled = true;
      queue.consumers = queue.consumers.filter((c) => c !== consumer);
      // A server queue is auto-delete: it goes with its last consumer. A shared one keeps buffering.
      if (queue.kind === 'server' && queue.consumers.length === 0 && this.#queues.get(queue.name) === queue)
        this.#queues.delete(queue.name);
      this.#pump(queue);
    }
    // Like a channel closing after its handlers settle: cancel returns once in-flight work is done.
    if (consumer.inFlight > 0) await new Promise<void>((resolve) => consumer.idle.push(resolve));
  }

  #pump(queue: LocalQueue): void {
    while (queue.messages.length > 0) {
      const consumer = this.#nextFreeConsumer(queue);
      if (!consumer) return;
      const message = queue.messages.shift()!;
      void this.#deliver(queue, consumer, message);
    }
  }

  /** Round-robin over consumers with spare prefetch, so consumers of one queue split its messages. */
  #nextFreeConsumer(queue: LocalQueue): LocalConsumer | undefined {
    const count = queue.consumers.length;
    for (let i = 0; i < count; i++) {
      const index = (queue.nextConsumer + i) % count;
      const consumer = queue.consumers[index]!;
      if (consumer.inFlight < consumer.prefetch) {
        queue.nextConsumer = (index + 1) % count;
        return consumer;
      }
    }
    return undefined;
  }

  async #deliver(queue: LocalQueue, consumer: LocalConsumer, message: Message): Promise<void> {
    consumer.inFlight++;
    message.deliveries++;
    try {
      let event: EventEnvelope;
      try {
        event = parseEnvelope(message.body);
      } catch (error) {
        this.#deadLetter(queue, message, 'malformed', error);
        return;
      }
      try {
        await consumer.handler(event);
      } catch (error) {
        if (message.deliveries >= this.#maxDeliveries) {
          this.#deadLetter(queue, message, 'rejected', error);
        } else {
          this.#logger.warn(
            { err: error, queue: queue.name, eventId: event.id, eventType: event.type, deliveries: message.deliveries },
            'event handler failed; will retry',
          );
          this.#retryLater(queue, message);
        }
      }
    } finally {
      consumer.inFlight--;
      if (consumer.inFlight === 0) for (const resolve of consumer.idle.splice(0)) resolve();
      this.#pump(queue);
    }
  }

  #retryLater(queue: LocalQueue, message: Message): void {
    const timer = setTimeout(
      () => {
        this.#retryTimers.delete(timer);
        if (this.#closed) return;
        queue.messages.push(message);
        this.#pump(queue);
      },
      retryDelayMs(message.deliveries, this.#retryBaseMs),
    );
    this.#retryTimers.add(timer);
  }

  #deadLetter(queue: LocalQueue, message: Message, reason: DeadLetter['reason'], error: unknown): void {
    const text = error instanceof Error ? error.message : String(error);
    this.#logger.error(
      {
        err: error instanceof MalformedEventError ? undefined : error,
        queue: queue.name,
        routingKey: message.routingKey,
        reason,
        deliveries: message.deliveries,
        error: text,
      },
      'event dead-lettered',
    );
    queue.deadLetters.push({ routingKey: message.routingKey, body: message.body, reason, error: text });
  }
}
