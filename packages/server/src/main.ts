import { ConfigError } from '@micropost/config';
import type { RunningService } from './subgraph.ts';

/** How long a stopping process may drain before it is cut short. */
const SHUTDOWN_DEADLINE_MS = 10_000;

/**
 * The one place a process exits: starts the service, stops it on SIGINT/SIGTERM, and turns a
 * configuration or start-up failure into a message and exit code 1.
 */
export function runMain(start: () => Promise<RunningService>): void {
  start().then(
    (service) => {
      const stop = (signal: NodeJS.Signals) => {
        process.stderr.write(`${service.name}: ${signal}, shutting down\n`);
        setTimeout(() => process.exit(1), SHUTDOWN_DEADLINE_MS).unref();
        service.stop().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    },
    (error: unknown) => {
      process.stderr.write(
        error instanceof ConfigError
          ? `${error.message}\n`
          : `Failed to start: ${String((error as Error)?.stack ?? error)}\n`,
      );
      process.exit(1);
    },
  );
}
