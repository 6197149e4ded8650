import { READ_BATCH } from './walk.ts';

/**
 * Group commit: calls made together are written together, so N events in flight cost a few round
 * trips instead of a few per event. Up to `parallel` batches are written at once, the waiting
 * calls split evenly between the free ones: one big batch at a time would leave the database
 * working for others (the feed's fan-out) on every other connection, and search would fall behind.
 * Batches start on the next turn of the event loop, so the deliveries of one socket read join.
 */
export class Batcher<T> {
  #pending: { item: T; resolve: () => void; reject: (error: unknown) => void }[] = [];
  #running = 0;
  #scheduled = false;

  constructor(
    private readonly write: (items: T[]) => Promise<void>,
    private readonly options: { readonly maxSize: number; readonly parallel: number },
  ) {}

  /** Resolves when the batch holding `item` is written; rejects with that batch's error. */
  add(item: T): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ item, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => {
          this.#scheduled = false;
          this.#pump();
        });
      }
    });
  }

  #pump(): void {
    const { maxSize, parallel } = this.options;
    while (this.#pending.length > 0 && this.#running < parallel) {
      const size = Math.min(maxSize, Math.ceil(this.#pending.length / (parallel - this.#running)));
      const batch = this.#pending.splice(0, size);
      this.#running++;
      void this.write(batch.map((entry) => entry.item))
        .then(
          () => {
            for (const entry of batch) entry.resolve();
          },
          (error: unknown) => {
            // Every event of the batch is retried by its own redelivery; the writes are idempotent.
            for (const entry of batch) entry.reject(error);
          },
        )
        .finally(() => {
          this.#running--;
          this.#pump();
        });
    }
  }
}

/**
 * How the indexers batch: at most READ_BATCH events per batch (a batch reads its documents in one
 * `$in`), four batches at a time (with the consumers' prefetch, INDEX_PREFETCH, four batches of 32).
 */
export const INDEX_BATCHING = { maxSize: READ_BATCH, parallel: 4 } as const;

/**
 * Deliveries the search consumers take at once: a batch costs about the same few commands whatever
 * its size, so larger batches are what lets indexing keep up with a burst of registrations.
 */
export const INDEX_PREFETCH = 128;
