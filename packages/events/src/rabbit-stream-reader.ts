import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import type { Logger } from '@micropost/logger';
import type { StreamHandler, StreamSpec, StreamStart } from './bus.ts';
import { type EventEnvelope, parseEnvelope } from './envelope.ts';
import { ChannelConsumer, settle } from './rabbit-channel-consumer.ts';

export interface StreamReaderContext {
  prefetch: number;
  logger: Logger;
  currentModel: () => ChannelModel | undefined;
}

/**
 * Declares a stream and its bindings on channels of its own. A stream that exists with other
 * retention arguments is kept as it is (the broker refuses to redeclare it; change retention with a
 * policy) and logged, rather than failing the start.
 */
export async function declareStream(
  model: ChannelModel,
  exchange: string,
  spec: StreamSpec,
  logger: Logger,
): Promise<void> {
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

/** One `readStream`: a stream consumer on its own channel that resumes after its last offset on every (re)start. */
export class RabbitStreamReader extends ChannelConsumer {
  #from: StreamStart;
  /** Lowest offset still to hand over: the broker starts at a chunk boundary and repeats after a restart. */
  #minOffset = 0;
  /** Deliveries are handled strictly one after another, in offset order. */
  #work: Promise<void> = Promise.resolve();

  constructor(
    readonly stream: string,
    from: StreamStart,
    readonly handler: StreamHandler,
    readonly ctx: StreamReaderContext,
  ) {
    super(ctx.logger, ctx.currentModel, 'stream reader');
    this.#from = from;
    if (typeof from === 'object' && 'offset' in from) this.#minOffset = from.offset;
  }

  protected async subscribe(channel: Channel): Promise<string> {
    await channel.prefetch(this.ctx.prefetch); // streams require a QoS prefetch
    const { consumerTag } = await channel.consume(this.stream, (message) => this.deliver(channel, message), {
      noAck: false,
      arguments: { 'x-stream-offset': offsetArgument(this.#from) },
    });
    return consumerTag;
  }

  protected onMessage(channel: Channel, message: ConsumeMessage): void {
    this.#work = this.#work.then(() => this.#handle(channel, message));
  }

  async #handle(channel: Channel, message: ConsumeMessage): Promise<void> {
    const offset = Number(message.properties.headers?.['x-stream-offset']);
    try {
      if (this.cancelled || !Number.isSafeInteger(offset) || offset < this.#minOffset) return;
      this.#minOffset = offset + 1;
      // A restart resumes right after what was handled: no gap, no repeat.
      this.#from = { offset: offset + 1 };
      let event: EventEnvelope;
      try {
        event = parseEnvelope(message.content);
      } catch (err) {
        this.logger.error({ error: (err as Error).message, offset }, 'malformed stream entry skipped');
        return;
      }
      try {
        await this.handler({ offset, event });
      } catch (err) {
        this.logger.error({ err, offset, eventId: event.id }, 'stream handler failed; skipped');
      }
    } finally {
      settle(() => channel.ack(message));
    }
  }

  protected drain(): Promise<void> {
    return this.#work;
  }
}
