import type { Collection, Document, Filter, OptionalUnlessRequiredId, UpdateFilter } from 'mongodb';
import { isDuplicateKeyError } from './index.ts';

/**
 * Inserts the document; false when a unique index holds its key already (a replay, a second like,
 * a taken handle): the database decides, not a read before the write.
 */
export async function insertIfAbsent<T extends Document>(
  collection: Collection<T>,
  document: OptionalUnlessRequiredId<T>,
): Promise<boolean> {
  try {
    await collection.insertOne(document);
    return true;
  } catch (error) {
    if (isDuplicateKeyError(error)) return false;
    throw error;
  }
}

/**
 * `updateOne` with upsert. Two upserts that both miss can both try the insert, and the loser fails
 * on the unique `_id` index (MongoDB documents this race): the document exists now, so the loser's
 * change is applied to it as a plain update (which matches nothing when the filter excludes it).
 */
export async function upsertOne<T extends Document>(
  collection: Collection<T>,
  filter: Filter<T>,
  update: UpdateFilter<T>,
): Promise<void> {
  try {
    await collection.updateOne(filter, update, { upsert: true });
  } catch (error) {
    if (!isDuplicateKeyError(error)) throw error;
    await collection.updateOne(filter, update);
  }
}
