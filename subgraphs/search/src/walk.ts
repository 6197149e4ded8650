import type { Collection, Filter } from 'mongodb';

/**
 * Items read per round trip while a walk filters them (a page needing no filter reads just the
 * page). Also the longest `$in` the patched FerretDB hands to PostgreSQL (it evaluates longer lists
 * itself after reading the whole collection), which a batch's follow-up reads stay within.
 */
export const READ_BATCH = 100;

export interface Walk<T> {
  /** How many kept items end the walk. */
  readonly want: number;
  /** At most about this many items are examined; then the walk stops and says where. */
  readonly budget: number;
  /**
   * Items read per round trip beyond what is still wanted; default READ_BATCH. 0 when `keep`
   * rarely drops anything, so that a page reads just the page.
   */
  readonly readAhead?: number;
  /** Exclusive `_id` to continue from, or null for the beginning. */
  readonly start: string | null;
  /** Up to `limit` items after `from` (exclusive; null: from the beginning), in walk order. */
  readonly read: (from: string | null, limit: number) => Promise<T[]>;
  /**
   * The items of a batch to keep, in the batch's order. It may stop once `needed` are kept (the
   * walk ends there); when it returns fewer, it must have looked at the whole batch.
   */
  readonly keep: (batch: T[], needed: number) => T[] | Promise<T[]>;
}

export interface WalkResult<T> {
  readonly kept: T[];
  /** The last item examined when the budget ran out first; null when the walk ended on its own. */
  readonly stoppedAt: T | null;
}

/**
 * Walks an index in `_id` order batch by batch (keyset: each read starts after the last `_id`
 * seen), keeping items until `want` are kept, the index ends, or the budget is spent.
 */
export async function walkKeys<T extends { _id: string }>(walk: Walk<T>): Promise<WalkResult<T>> {
  const kept: T[] = [];
  let from = walk.start;
  let examined = 0;
  for (;;) {
    const needed = walk.want - kept.length;
    const limit = Math.max(1, Math.min(walk.budget - examined, Math.max(needed, walk.readAhead ?? READ_BATCH)));
    const batch = await walk.read(from, limit);
    const keep = new Set(await walk.keep(batch, needed));
    for (const item of batch) {
      examined++;
      if (keep.has(item)) kept.push(item);
      if (kept.length === walk.want) return { kept, stoppedAt: null };
    }
    if (batch.length < limit) return { kept, stoppedAt: null };
    if (examined >= walk.budget) return { kept, stoppedAt: batch.at(-1)! };
    from = batch.at(-1)!._id;
  }
}

/** Deletes by `_id`, READ_BATCH per `$in`. */
export async function deleteIds<T extends { _id: string }>(
  collection: Collection<T>,
  ids: readonly string[],
): Promise<void> {
  for (let start = 0; start < ids.length; start += READ_BATCH)
    await collection.deleteMany({ _id: { $in: ids.slice(start, start + READ_BATCH) } } as Filter<T>);
}
