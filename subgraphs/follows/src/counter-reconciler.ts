import { MongoClientClosedError, MongoNotConnectedError, MongoTopologyClosedError } from 'mongodb';
import type { Logger } from '@micropost/logger';
import type { FollowStore } from './follow-store.ts';

const DEFAULT_INTERVAL_MS = 60_000;

/**
 * Runs `FollowStore.reconcileStuckCounts` at start-up and then every minute (one bounded batch per
 * run; a backlog drains over the following runs). Every server runs one; they may overlap, which is
 * harmless because a recount writes absolute values and settling an edge is conditional.
 */
export class CounterReconciler {
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;

  constructor(
    private readonly store: FollowStore,
    private readonly logger: Logger,
    private readonly intervalMs = DEFAULT_INTERVAL_MS,
  ) {}

  start(): void {
    if (this.#timer || this.#stopped) return;
    this.#timer = setInterval(() => this.#tick(), this.intervalMs);
    // Never what keeps a process alive; stopping the service stops it (see #tick).
    this.#timer.unref();
    this.#tick();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    await this.#running;
  }

  #tick(): void {
    if (this.#running || this.#stopped) return;
    this.#running = this.store
      .reconcileStuckCounts()
      .then((settled) => {
        if (settled > 0) this.logger.warn({ settled }, 'recounted follow counters left unsettled by an interrupted write');
      })
      .catch((err: unknown) => {
        // The subgraph has no stop hook for background work: its database client closing is the signal.
        if (err instanceof MongoClientClosedError || err instanceof MongoTopologyClosedError || err instanceof MongoNotConnectedError) {
          void this.stop();
          return;
        }
        this.logger.error({ err }, 'follow counter reconciliation failed; retrying at the next run');
      })
      .finally(() => {
        this.#running = undefined;
      });
  }
}
