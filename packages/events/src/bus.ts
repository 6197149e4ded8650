import type { EventEnvelope } from './envelope.ts';

/**
 * Where a consumer reads from.
 * - `shared`: a durable queue named `queue`, shared by every server, so each event is handled once
 *   cluster-wide (projections such as feed and search). Poison messages land in `<queue>.dlq`.
 * - `server`: a queue for this process only, gone when it stops (the subscription service).
 */
export interface ConsumeSpec {
  readonly queue: string;
  readonly kind: 'shared' | 'server';
  /** Topic patterns: `*` one word, `#` zero or more, e.g. `'user.*'`, `'post.#'`. */
  readonly bindings: readonly string[];
  /** Deliveries this consumer may have in flight at once; default the bus's prefetch. */
  readonly prefetch?: number;
}

/** Resolves → the event is acknowledged. Throws → it is retried a bounded number of times, then dead-lettered. */
export type EventHandler = (event: EventEnvelope) => Promise<void>;

export interface Consumer {
  /** Stops deliveries to this handler; the queue itself stays (a `server` queue is then deleted by the broker). */
  cancel(): Promise<void>;
}

/**
 * A retained log of the events matching `bindings` (a RabbitMQ stream): every event gets one global,
 * increasing offset, and any reader can start at any retained position.
 */
export interface StreamSpec {
  readonly stream: string;
  readonly bindings: readonly string[];
  /** Retention by age, RabbitMQ syntax: a number and one of Y M D h m s, e.g. `24h`. */
  readonly maxAge: string;
  /** Retention by size; the oldest segment goes first. */
  readonly maxLengthBytes: number;
  /** Size of one segment file: retention drops whole segments. Default: the broker's (500 MB). */
  readonly maxSegmentBytes?: number;
}

/** Where a stream reader starts: the oldest retained event, the next one published, an offset, or a time. */
export type StreamStart = 'first' | 'next' | { readonly offset: number } | { readonly timestamp: Date };

export interface StreamDelivery {
  readonly offset: number;
  readonly event: EventEnvelope;
}

/**
 * Called once per event, in offset order, one at a time (the next delivery waits for the returned
 * promise, which is the reader's backpressure). A throw is logged and the reader moves on: a stream
 * has no retry or dead-letter queue.
 */
export type StreamHandler = (delivery: StreamDelivery) => Promise<void>;

export interface StreamReader {
  /** Stops deliveries; resolves once the handler in progress has returned. */
  cancel(): Promise<void>;
}

export interface StreamReadOptions {
  /** Deliveries the broker may send ahead of the handler; default the bus's prefetch. */
  readonly prefetch?: number;
}

/** The port every service publishes and consumes through; RabbitMQ and in-process adapters share one contract test. */
export interface EventBus {
  /** Resolves once the broker has confirmed the message (publisher confirms); rejects if it cannot. */
  publish(event: EventEnvelope): Promise<void>;
  /**
   * Handler resolves → ack; handler throws → retried a bounded number of times, then dead-lettered;
   * a malformed message → dead-lettered at once. The consumer survives both.
   */
  consume(spec: ConsumeSpec, handler: EventHandler): Promise<Consumer>;
  /** Declares the stream (idempotent) and binds it; events published afterwards are retained in it. */
  declareStream(spec: StreamSpec): Promise<void>;
  /**
   * Reads `stream` from `from` on a channel of its own. Survives reconnects: it resumes after the
   * last offset it handled, so the handler sees no gap and no repeat. Resolves once attached.
   */
  readStream(
    stream: string,
    from: StreamStart,
    handler: StreamHandler,
    options?: StreamReadOptions,
  ): Promise<StreamReader>;
  close(): Promise<void>;
  /** False while the broker cannot be reached (readiness); absent = always connected (in-process). */
  isConnected?(): boolean;
}

/** Deliveries of one message before it is dead-lettered (the first try plus retries). */
export const DEFAULT_MAX_DELIVERIES = 5;

/** Pause before a failed message is offered again: grows per attempt, capped, so a failing handler cannot spin. */
export function retryDelayMs(deliveries: number, baseMs: number): number {
  return Math.min(baseMs * 2 ** Math.max(0, deliveries - 1), 5_000);
}

export function dlqName(queue: string): string {
  return `${queue}.dlq`;
}

const AGE_UNITS_MS: Record<string, number> = {
  Y: 365 * 86_400_000,
  M: 30 * 86_400_000,
  D: 86_400_000,
  h: 3_600_000,
  m: 60_000,
  s: 1_000,
};

/** Milliseconds of a RabbitMQ `x-max-age` value (`24h`, `7D`, …); throws on anything else. */
export function maxAgeMs(maxAge: string): number {
  const match = /^([1-9][0-9]*)([YMDhms])$/.exec(maxAge);
  if (!match) throw new Error(`invalid stream max age "${maxAge}": a number and one of Y M D h m s, e.g. 24h`);
  return Number(match[1]) * AGE_UNITS_MS[match[2]!]!;
}
