import type { Logger } from '@micropost/logger';
import { PeriodicTask } from '@micropost/server';
import type { FollowStore } from './follow-store.ts';

const INTERVAL_MS = 60_000;

/**
 * Runs `FollowStore.reconcileStuckCounts` at start-up and then every minute (one bounded batch per
 * run; a backlog drains over the following runs). Every server runs one; they may overlap, which is
 * harmless because a recount writes absolute values and settling an edge is conditional.
 */
export function counterReconciler(store: FollowStore, logger: Logger): PeriodicTask {
  return new PeriodicTask(
    'follow-counter-reconciler',
    INTERVAL_MS,
    async () => {
      const settled = await store.reconcileStuckCounts();
      if (settled > 0) logger.warn({ settled }, 'recounted follow counters left unsettled by an interrupted write');
    },
    logger,
  );
}
