import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import type { Logger } from '@micropost/logger';

/** Ack/nack on a channel that may have closed meanwhile: the broker then redelivers, which idempotent consumers tolerate. */
export function settle(action: () => void): void {
  try {
    action();
  } catch {
    // IllegalOperationError: channel closed; nothing else to do.
  }
}

/**
 * A consumer on a channel of its own, (re)started on every connection (`startOn`) and after its
 * channel closes on a live connection, with a doubling back-off. Subclasses say how to subscribe on
 * a fresh channel, what to do with a message, and how to let in-flight work finish on cancel.
 */
export abstract class ChannelConsumer {
  readonly started: Promise<void>;
  #markStarted!: () => void;
  #channel: Channel | undefined;
  #model: ChannelModel | undefined;
  #consumerTag: string | undefined;
  /** Serializes starts: setup and a channel-level restart may race. */
  #chain: Promise<void> = Promise.resolve();
  #restartTimer: NodeJS.Timeout | undefined;
  #restartAttempt = 0;
  protected cancelled = false;

  constructor(
    protected readonly logger: Logger,
    readonly currentModel: () => ChannelModel | undefined,
    /** What it is, for logs: "consumer", "stream reader". */
    readonly what: string,
  ) {
    this.started = new Promise((resolve) => (this.#markStarted = resolve));
  }

  /** Prefetch, topology and `consume` on a fresh channel; returns the consumer tag. */
  protected abstract subscribe(channel: Channel): Promise<string>;
  protected abstract onMessage(channel: Channel, message: ConsumeMessage): void;
  /** Resolves once the messages being handled are settled. */
  protected abstract drain(): Promise<void>;
  /** The channel went away with its unacknowledged messages. */
  protected onChannelLost(): void {}

  /** True while `channel` is the one this consumer reads from. */
  protected isCurrent(channel: Channel): boolean {
    return this.#channel === channel;
  }

  startOn(model: ChannelModel): Promise<void> {
    this.#chain = this.#chain.then(() => this.#startOn(model));
    return this.#chain;
  }

  async #startOn(model: ChannelModel): Promise<void> {
    if (this.cancelled || (this.#model === model && this.#channel)) return;
    let channel: Channel | undefined;
    try {
      channel = await model.createChannel();
      const opened = channel;
      opened.on('error', (err: Error) => this.logger.warn({ err: err.message }, `${this.what} channel error`));
      opened.on('close', () => this.#onChannelClosed(opened, model));
      const consumerTag = await this.subscribe(opened);
      this.#channel = opened;
      this.#model = model;
      this.#consumerTag = consumerTag;
      this.#restartAttempt = 0;
      this.#markStarted();
    } catch (err) {
      this.logger.error({ err }, `could not start ${this.what}; will retry`);
      await channel?.close().catch(() => {});
      this.#scheduleRestart(model);
    }
  }

  /** For `channel.consume`: a null message is the broker cancelling us (queue deleted). */
  protected deliver(channel: Channel, message: ConsumeMessage | null): void {
    if (message !== null) {
      this.onMessage(channel, message);
      return;
    }
    // Close the channel, which schedules a restart.
    this.logger.warn(`${this.what} cancelled by the broker; restarting`);
    void channel.close().catch(() => {});
  }

  #onChannelClosed(channel: Channel, model: ChannelModel): void {
    if (this.#channel !== channel) return;
    this.#channel = undefined;
    this.#consumerTag = undefined;
    this.onChannelLost();
    // A dropped connection is handled by recovery's setup; only a channel closed on a live
    // connection (queue deleted, channel error) needs restarting here.
    if (!this.cancelled) this.#scheduleRestart(model);
  }

  #scheduleRestart(model: ChannelModel): void {
    if (this.cancelled || this.#restartTimer) return;
    this.#restartAttempt++;
    const delay = Math.min(500 * 2 ** (this.#restartAttempt - 1), 30_000);
    this.#restartTimer = setTimeout(() => {
      this.#restartTimer = undefined;
      // If the connection was replaced meanwhile, its setup has (re)started this consumer.
      if (this.currentModel() === model) void this.startOn(model);
    }, delay);
    this.#restartTimer.unref();
  }

  /** Stops deliveries, lets in-flight handlers finish (their acks still go out), then closes the channel. */
  async cancel(): Promise<void> {
    this.cancelled = true;
    clearTimeout(this.#restartTimer);
    this.#restartTimer = undefined;
    this.#markStarted(); // nobody waits for a start that will not come
    await this.#chain;
    const channel = this.#channel;
    const tag = this.#consumerTag;
    if (channel && tag) await channel.cancel(tag).catch(() => {});
    await this.drain();
    this.#channel = undefined;
    if (channel) await channel.close().catch(() => {});
  }
}
