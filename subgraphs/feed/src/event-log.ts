import type { Collection, Db } from 'mongodb';
import {
  createEvent,
  ensureOutboxIndex,
  type EventData,
  type EventEnvelope,
  type OutboxFields,
} from '@micropost/events';
import { insertIfAbsent, shardBy, type ShardKeys } from '@micropost/mongo';

export type FeedUpdate = EventData<'feed.updated'>;

/**
 * A consumed event the feed has fully handled (`_id` = the envelope id): a redelivery is then
 * acknowledged without touching anything, so it cannot announce anything twice. Deleted
 * EVENT_RETENTION_MS later, lazily by the consumer (FerretDB has no TTL indexes).
 */
interface HandledEventDocument {
  _id: string;
  type: string;
  handledAt: Date;
}

/**
 * The `feed.updated` events one chunk of a handler's work causes, in the document's outbox
 * (`_id` = `<envelope id>/<chunk key>`). A batch is written *held* (no `outboxDueAt`, so the relay
 * leaves it alone) before the chunk's writes, rewritten if checking the writes changes who really
 * gained or lost the post, and *released* when the handler finishes: made due and tombstoned, so
 * the relay publishes it and then deletes it (the collection holds only work in progress). A
 * handler that dies half-way is redelivered and rewrites/releases the same batches, so each
 * `feed.updated` goes out once its change is in place, and is not lost.
 */
interface FeedOutboxDocument extends Partial<OutboxFields> {
  _id: string;
  eventId: string;
  released: boolean;
  createdAt: Date;
}

/** Markers outlive any redelivery by far (the broker dead-letters after 5 deliveries). */
export const EVENT_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;

/** The only code that touches `handled_events` and `feed_outbox`. */
export class FeedEventLog {
  private constructor(
    readonly handled: Collection<HandledEventDocument>,
    readonly outbox: Collection<FeedOutboxDocument>,
  ) {}

  static readonly shardKeys: ShardKeys = {
    handled_events: shardBy({ _id: 'hashed' }, 'checked and written by event id; the clean-up task scans by date'),
    feed_outbox: shardBy({ eventId: 'hashed' }, "a handler holds, withdraws and releases its own event's batches"),
  };

  static async open(db: Db): Promise<FeedEventLog> {
    const handled = db.collection<HandledEventDocument>('handled_events');
    await handled.createIndex({ handledAt: 1 }, { name: 'handledAt_1' });
    const outbox = db.collection<FeedOutboxDocument>('feed_outbox');
    await ensureOutboxIndex(outbox);
    await outbox.createIndex({ eventId: 1, released: 1 }, { name: 'event_released' });
    return new FeedEventLog(handled, outbox);
  }

  async isHandled(eventId: string): Promise<boolean> {
    return (await this.handled.countDocuments({ _id: eventId }, { limit: 1 })) > 0;
  }

  /**
   * Writes (or, while still held, rewrites) one batch of `feed.updated` events caused by `cause`.
   * A batch already released is left as it is: its events went out with an earlier attempt.
   */
  async hold(cause: EventEnvelope, key: string, updates: readonly FeedUpdate[]): Promise<void> {
    const events = updates.map((data) =>
      createEvent('feed.updated', data, cause.requestId === undefined ? {} : { requestId: cause.requestId }),
    );
    const _id = `${cause.id}/${key}`;
    const held = await insertIfAbsent(this.outbox, {
      _id,
      eventId: cause.id,
      released: false,
      createdAt: new Date(),
      outbox: events,
      outboxDueAt: null,
      outboxPending: false,
    });
    // Held before (a redelivery, or a second word on this batch): the newer list replaces it.
    if (!held) await this.outbox.updateOne({ _id, eventId: cause.id, released: false }, { $set: { outbox: events } });
  }

  /** Empties every held batch of the event: its change did not happen after all. */
  async withdraw(cause: EventEnvelope): Promise<void> {
    await this.outbox.updateMany({ eventId: cause.id, released: false }, { $set: { outbox: [] } });
  }

  /** Releases every held batch of the event to the outbox relay, then marks the event handled. */
  async finish(cause: EventEnvelope): Promise<boolean> {
    const { modifiedCount } = await this.outbox.updateMany(
      { eventId: cause.id, released: false },
      { $set: { released: true, outboxDueAt: new Date(), outboxPending: true, tombstone: true } },
    );
    await insertIfAbsent(this.handled, { _id: cause.id, type: cause.type, handledAt: new Date() });
    return modifiedCount > 0;
  }

  /** Deletes markers older than `cutoff`, and batches held that long (their event was dead-lettered). */
  async removeBefore(cutoff: Date): Promise<number> {
    const markers = await this.handled.deleteMany({ handledAt: { $lt: cutoff } });
    const abandoned = await this.outbox.deleteMany({ released: false, createdAt: { $lt: cutoff } });
    return markers.deletedCount + abandoned.deletedCount;
  }
}
