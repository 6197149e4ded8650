import type { Collection, Db } from 'mongodb';
import { createEvent, ensureOutboxIndex, type EventData, type EventEnvelope, type OutboxFields } from '@micropost/events';
import { isDuplicateKeyError } from '@micropost/mongo';

export type FeedUpdate = EventData<'feed.updated'>;

/**
 * What the feed remembers of the events it consumed, in one collection (`feed_events`):
 *
 * - a *marker* per handled event (`_id` = the envelope id): a redelivery of a handled event is
 *   acknowledged without touching anything, so it cannot publish `feed.updated` twice;
 * - *batches* (`_id` = `<envelope id>/<key>`): the `feed.updated` events one chunk of the
 *   handler's work causes, in the document's outbox. A batch is written *held* (no `outboxDueAt`,
 *   so the relay leaves it alone) before the chunk's writes, rewritten if checking the writes
 *   changes who really gained or lost the post, and *released* (made due) in one write when the
 *   handler finishes. A handler that dies half-way is redelivered and rewrites/releases the same
 *   batches, so each `feed.updated` is published once its change is in place, and not lost.
 *
 * Both kinds are deleted EVENT_RETENTION_MS later (FerretDB has no TTL indexes), lazily by the
 * consumer. Shard key: `{ _id: "hashed" }`.
 */
interface FeedEventDocument extends Partial<OutboxFields> {
  _id: string;
  eventId: string;
  kind: 'marker' | 'batch';
  /** The consumed event's type. */
  type: string;
  /** Batches only: false while held. */
  released?: boolean;
  recordedAt: Date;
}

/** Markers outlive any redelivery by far (the broker dead-letters after 5 deliveries). */
export const EVENT_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;

/** The only code that touches `feed_events`. */
export class FeedEventLog {
  private constructor(readonly records: Collection<FeedEventDocument>) {}

  static async open(db: Db): Promise<FeedEventLog> {
    const records = db.collection<FeedEventDocument>('feed_events');
    await ensureOutboxIndex(records);
    await records.createIndex({ eventId: 1, released: 1 }, { name: 'event_released' });
    await records.createIndex({ recordedAt: 1 }, { name: 'recordedAt_1' });
    return new FeedEventLog(records);
  }

  async isHandled(eventId: string): Promise<boolean> {
    return (await this.records.countDocuments({ _id: eventId }, { limit: 1 })) > 0;
  }

  /**
   * Writes (or, while still held, rewrites) one batch of `feed.updated` events caused by `cause`.
   * A batch already released is left as it is: its events went out with the first attempt.
   */
  async hold(cause: EventEnvelope, key: string, updates: readonly FeedUpdate[]): Promise<void> {
    const outbox = updates.map((data) => createEvent('feed.updated', data, cause.requestId === undefined ? {} : { requestId: cause.requestId }));
    const _id = `${cause.id}/${key}`;
    try {
      await this.records.insertOne({ _id, eventId: cause.id, kind: 'batch', type: cause.type, released: false, recordedAt: new Date(), outbox, outboxDueAt: null });
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
      await this.records.updateOne({ _id, released: false }, { $set: { outbox } });
    }
  }

  /** Empties every held batch of the event: its change did not happen after all. */
  async withdraw(cause: EventEnvelope): Promise<void> {
    await this.records.updateMany({ eventId: cause.id, kind: 'batch', released: false }, { $set: { outbox: [] } });
  }

  /** Releases every held batch of the event to the outbox relay, then marks the event handled. */
  async finish(cause: EventEnvelope): Promise<boolean> {
    const { modifiedCount } = await this.records.updateMany({ eventId: cause.id, kind: 'batch', released: false }, { $set: { released: true, outboxDueAt: new Date() } });
    try {
      await this.records.insertOne({ _id: cause.id, eventId: cause.id, kind: 'marker', type: cause.type, recordedAt: new Date() });
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
    }
    return modifiedCount > 0;
  }

  /** Deletes markers and published batches recorded before `cutoff`. */
  async removeBefore(cutoff: Date): Promise<number> {
    const { deletedCount } = await this.records.deleteMany({
      recordedAt: { $lt: cutoff },
      $or: [{ kind: 'marker' }, { kind: 'batch', outboxDueAt: null }],
    });
    return deletedCount;
  }
}
