import type { Logger } from '@micropost/logger';
import type { LiveChannel } from './live-channels.ts';

/**
 * One subscriber's queue. Bounded: a client that reads slower than events arrive loses the OLDEST
 * undelivered events (a live view wants what is new), and the loss is logged once per subscription,
 * so a slow consumer can never grow the server's memory.
 */
class BoundedSink<T> implements AsyncIterableIterator<T> {
  readonly #buffer: T[] = [];
  #waiting: ((result: IteratorResult<T>) => void) | null = null;
  #closed = false;
  dropped = 0;

  constructor(
    private readonly capacity: number,
    private readonly onClose: () => void,
    private readonly onFirstDrop: () => void,
  ) {}

  push(value: T): void {
    if (this.#closed) return;
    if (this.#waiting) {
      const resolve = this.#waiting;
      this.#waiting = null;
      resolve({ value, done: false });
      return;
    }
    if (this.#buffer.length >= this.capacity) {
      this.#buffer.shift();
      if (this.dropped++ === 0) this.onFirstDrop();
    }
    this.#buffer.push(value);
  }

  next(): Promise<IteratorResult<T>> {
    if (this.#buffer.length > 0) return Promise.resolve({ value: this.#buffer.shift()!, done: false });
    if (this.#closed) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => (this.#waiting = resolve));
  }

  /** Called by graphql-ws when the client completes or the socket closes: frees everything held. */
  return(): Promise<IteratorResult<T>> {
    if (!this.#closed) {
      this.#closed = true;
      this.#buffer.length = 0;
      this.#waiting?.({ value: undefined, done: true });
      this.#waiting = null;
      this.onClose();
    }
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(error: unknown): Promise<IteratorResult<T>> {
    void this.return();
    return Promise.reject(error);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}

/**
 * The subscriptions open on THIS server, indexed by channel (viewer, post or author), so an event
 * reaches its subscribers by one map lookup, never a scan of every subscription.
 */
export class LiveHub<T> {
  readonly #channels = new Map<LiveChannel, Set<{ push(value: T): void }>>();
  #subscriptions = 0;

  constructor(
    private readonly bufferSize: number,
    private readonly logger: Logger,
  ) {}

  subscribe(channel: LiveChannel): AsyncIterableIterator<T> {
    let stop = () => {};
    const sink: BoundedSink<T> = new BoundedSink<T>(
      this.bufferSize,
      () => stop(),
      () =>
        this.logger.warn(
          { channel, bufferSize: this.bufferSize },
          'slow subscriber: dropping its oldest undelivered events',
        ),
    );
    stop = this.listen(channel, sink);
    return sink;
  }

  /** Registers a receiver of `channel`'s values (a resuming subscription buffers them); returns its removal. */
  listen(channel: LiveChannel, receiver: { push(value: T): void }): () => void {
    const sinks = this.#channels.get(channel) ?? new Set<{ push(value: T): void }>();
    this.#channels.set(channel, sinks);
    sinks.add(receiver);
    this.#subscriptions++;
    let listening = true;
    return () => {
      if (!listening) return;
      listening = false;
      sinks.delete(receiver);
      if (sinks.size === 0 && this.#channels.get(channel) === sinks) this.#channels.delete(channel);
      this.#subscriptions--;
    };
  }

  /** Hands `value` to every subscriber of `channel`; returns how many there were. */
  deliver(channel: LiveChannel, value: T): number {
    const sinks = this.#channels.get(channel);
    if (!sinks) return 0;
    for (const sink of sinks) sink.push(value);
    return sinks.size;
  }

  get subscriptionCount(): number {
    return this.#subscriptions;
  }

  get channelCount(): number {
    return this.#channels.size;
  }
}
