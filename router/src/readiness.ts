import type { EventBus } from '@micropost/events';

/** Each probe must answer before a balancer's check times out, even while a subgraph hangs. */
const PROBE_DEADLINE_MS = 2_000;

/**
 * The router is ready when its broker connection is up and every subgraph says it is ready (each
 * checks its own database and broker): the router's port is what the balancer checks, so a server
 * that cannot reach its database or broker answers 503 there and is drained.
 */
export function routerReadiness(bus: EventBus, subgraphUrls: readonly string[]): () => Promise<boolean> {
  const readyUrls = subgraphUrls.map((url) => new URL('/ready', url).toString());
  return async () => {
    if (!(bus.isConnected?.() ?? true)) return false;
    const answers = await Promise.all(
      readyUrls.map((url) =>
        fetch(url, { signal: AbortSignal.timeout(PROBE_DEADLINE_MS) }).then(
          async (response) => {
            await response.body?.cancel();
            return response.status === 200;
          },
          () => false,
        ),
      ),
    );
    return answers.every(Boolean);
  };
}
