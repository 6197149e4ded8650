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
}

/** Resolves → the event is acknowledged. Throws → it is retried a bounded number of times, then dead-lettered. */
export type EventHandler = (event: EventEnvelope) => Promise<void>;

export interface Consumer {
  /** Stops deliveries to this handler; the queue itself stays (a `server` queue is then deleted by the broker). */
  cancel(): Promise<void>;
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
