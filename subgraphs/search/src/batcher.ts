/**
 * Group commit: calls made while a batch is being written wait and go together in the next one,
 * so N events in flight cost a few round trips instead of a few per event. The first batch
 * starts on the next turn of the event loop, so the deliveries of one socket read join it.
 */
export class Batcher<T> {
  #pending: { item: T; resolve: () => void; reject: (error: unknown) => void }[] = [];
  #running = false;

  constructor(
    private readonly write: (items: T[]) => Promise<void>,
    private readonly maxSize: number,
  ) {}

  /** Resolves when the batch holding `item` is written; rejects with that batch's error. */
  add(item: T): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ item, resolve, reject });
      if (!this.#running) {
        this.#running = true;
        setImmediate(() => void this.#drain());
      }
    });
  }

  async #drain(): Promise<void> {
    while (this.#pending.length > 0) {
      const batch = this.#pending.splice(0, this.maxSize);
      try {
        await this.write(batch.map((entry) => entry.item));
        for (const entry of batch) entry.resolve();
      } catch (error) {
        // Every event of the batch is retried by its own redelivery; the writes are idempotent.
        for (const entry of batch) entry.reject(error);
      }
    }
    this.#running = false;
  }
}
