import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { eventDataSchemas, eventVersion, isEventType, type EventData, type EventType } from './events.ts';

/** What travels on the bus and sits in an outbox: one fact, with what a consumer needs to dedupe and trace it. */
export type EventEnvelope<T extends EventType = EventType> = {
  [K in T]: {
    /** Unique per event; consumers are idempotent by it, and it is the AMQP `messageId`. */
    readonly id: string;
    /** Routing key. */
    readonly type: K;
    /** Schema version of `data`. */
    readonly version: number;
    /** ISO-8601 time of the state change. */
    readonly occurredAt: string;
    /** The request that caused it, so logs can follow it across services. */
    readonly requestId?: string;
    readonly data: EventData<K>;
  };
}[T];

export function createEvent<T extends EventType>(
  type: T,
  data: EventData<T>,
  options: { requestId?: string } = {},
): EventEnvelope<T> {
  const envelope = {
    id: randomUUID(),
    type,
    version: eventVersion(type),
    occurredAt: new Date().toISOString(),
    ...(options.requestId === undefined ? {} : { requestId: options.requestId }),
    data,
  };
  // The mapped union cannot be narrowed from a generic T; the object is built field by field above.
  return envelope as unknown as EventEnvelope<T>;
}

/** Thrown by `parseEnvelope`; a consumer dead-letters such a message instead of retrying it. */
export class MalformedEventError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MalformedEventError';
  }
}

const envelopeSchema = z.object({
  id: z.string().min(1),
  type: z.string(),
  version: z.number().int().positive(),
  occurredAt: z.iso.datetime({ offset: true }),
  requestId: z.string().optional(),
  data: z.unknown(),
});

/** Bytes as they go on the wire (UTF-8 JSON). */
export function serializeEnvelope(event: EventEnvelope): Buffer {
  return Buffer.from(JSON.stringify(event));
}

/**
 * Validates bytes (or an already-decoded value) as an envelope of a known event type with valid
 * data. Throws MalformedEventError naming what is wrong.
 */
export function parseEnvelope(input: Buffer | string | unknown): EventEnvelope {
  let value: unknown = input;
  if (Buffer.isBuffer(input) || typeof input === 'string') {
    try {
      value = JSON.parse(input.toString());
    } catch {
      throw new MalformedEventError('event is not valid JSON');
    }
  }
  const envelope = envelopeSchema.safeParse(value);
  if (!envelope.success) throw new MalformedEventError(`invalid event envelope: ${z.prettifyError(envelope.error)}`);
  const { type } = envelope.data;
  if (!isEventType(type)) throw new MalformedEventError(`unknown event type "${type}"`);
  const data = eventDataSchemas[type].safeParse(envelope.data.data);
  if (!data.success) throw new MalformedEventError(`invalid data for ${type}: ${z.prettifyError(data.error)}`);
  const { requestId, ...rest } = envelope.data;
  return { ...rest, ...(requestId === undefined ? {} : { requestId }), type, data: data.data } as EventEnvelope;
}
