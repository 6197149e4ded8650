/**
 * The last `capacity` ids seen, oldest forgotten first. Events are delivered at least once (an
 * outbox can publish twice, a broker redelivers), and a live client should see each once.
 */
export class RecentIds {
  readonly #ids = new Set<string>();

  constructor(private readonly capacity: number) {}

  /** True the first time `id` is offered (within the window), false for a repeat. */
  firstSighting(id: string): boolean {
    if (this.#ids.has(id)) return false;
    this.#ids.add(id);
    if (this.#ids.size > this.capacity) this.#ids.delete(this.#ids.values().next().value!);
    return true;
  }
}
