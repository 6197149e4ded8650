import type { Logger } from '@micropost/logger';

/**
 * Background work a subgraph repeats (reconcilers, clean-ups): once at start, then every
 * `intervalMs`, never two runs at once. The subgraph bootstrap starts it after the stores are open
 * and stops it (waiting for a run in progress) before the database closes.
 */
export class PeriodicTask {
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;

  constructor(
    readonly name: string,
    private readonly intervalMs: number,
    private readonly run: () => Promise<void>,
    private readonly logger: Logger,
  ) {}

  start(): void {
    if (this.#timer || this.#stopped) return;
    this.#timer = setInterval(() => this.#tick(), this.intervalMs);
    this.#tick();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    await this.#running;
  }

  #tick(): void {
    if (this.#running || this.#stopped) return;
    this.#running = this.run()
      .catch((err: unknown) =>
        this.logger.error({ err, task: this.name }, 'background task failed; retrying at its next run'),
      )
      .finally(() => (this.#running = undefined));
  }
}
