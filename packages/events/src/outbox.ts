import type { Collection, Document, UpdateFilter } from 'mongodb';
import type { EventEnvelope } from './envelope.ts';

/**
 * Fields a document carries while it has events to publish. They are written in the SAME
 * single-document write as the state change — the only atomicity every MongoDB topology and
 * FerretDB share — and the OutboxRelay publishes and removes them.
 */
export interface OutboxFields {
  /** Pending events, oldest first; published in this order. */
  outbox: EventEnvelope[];
  /** When the relay should (re)try this document; null once nothing is pending. */
  outboxDueAt: Date | null;
  /**
   * True while events are pending. The relay's claim is `outboxPending: true` (equality) AND
   * `outboxDueAt <= now`: on MongoDB one compound index range; FerretDB 1.24 hands only the
   * equality to its backend and decodes what passes it, so idle documents are skipped there instead
   * of decoded on every poll (each idle poll of 10,000 users used to decode all of them).
   */
  outboxPending: boolean;
  /**
   * Marks an entity deleted but kept until its last events (e.g. `post.deleted`) are published;
   * the relay then removes the document. Deleting it outright would lose those events.
   */
  tombstone?: true;
}

/** A stored document type with its (optional) outbox fields. */
export type WithOutbox<T> = T & Partial<OutboxFields>;

/** For an insert: spread into the new document. */
export function outboxFields(events: readonly EventEnvelope[]): Omit<OutboxFields, 'tombstone'> {
  return { outbox: [...events], outboxDueAt: new Date(), outboxPending: true };
}

/**
 * For an update: adds the events to the caller's update document (its `$set`, `$inc`, other `$push`
 * entries are kept), so state change and events land in one atomic write.
 */
export function withOutbox<T extends Document>(
  update: UpdateFilter<T>,
  events: readonly EventEnvelope[],
): UpdateFilter<T> {
  if (events.length === 0) return update;
  const base = update as Document;
  const push = (base.$push ?? {}) as Document;
  const set = (base.$set ?? {}) as Document;
  if ('outbox' in push || 'outboxDueAt' in set || 'outboxPending' in set)
    throw new Error('withOutbox: the update already writes the outbox');
  const merged: Document = {
    ...base,
    $push: { ...push, outbox: { $each: [...events] } },
    $set: { ...set, outboxDueAt: new Date(), outboxPending: true },
  };
  return merged as UpdateFilter<T>;
}

/** The relay's claim query (pending, `outboxDueAt <= now`, oldest first) is an index range scan, never a collection scan. */
export async function ensureOutboxIndex(collection: Collection<any>): Promise<void> {
  await collection.createIndex({ outboxPending: 1, outboxDueAt: 1 }, { name: 'outbox_due' });
}
