// Keeps one server process running for `npm start`: a server that dies is started again after a
// back-off that doubles while it keeps dying, so a crash heals itself and a crash loop stays quiet.
import type { ChildProcess } from 'node:child_process';
import { terminate } from '@micropost/infra';

export interface BackoffOptions {
  /** First delay before a restart. */
  readonly initialMs: number;
  readonly maxMs: number;
  /** A process that lived this long counts as healthy again: the next delay starts from initialMs. */
  readonly resetAfterMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 1_000, maxMs: 30_000, resetAfterMs: 60_000 };

/** Delay before restart number `attempt` (1-based) of a process that keeps dying. */
export const backoffDelay = (attempt: number, { initialMs, maxMs }: BackoffOptions) =>
  Math.min(maxMs, initialMs * 2 ** (attempt - 1));

/** Where a supervised process is in its life. */
export type SupervisorState =
  | { readonly phase: 'running'; readonly child: ChildProcess; readonly startedAt: number }
  | { readonly phase: 'backing-off'; readonly timer: NodeJS.Timeout }
  | { readonly phase: 'stopped' };

export interface SupervisedProcess {
  readonly state: SupervisorState;
  /** How many times the process has been started again after dying. */
  readonly restarts: number;
  /** Stops restarting and terminates the current child. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Runs `start()` now and again whenever its child exits, until stop(). `onExit` hears every exit
 * with the delay before the next start, for logging.
 */
export function supervise({
  start,
  onExit,
  backoff = DEFAULT_BACKOFF,
}: {
  start: () => ChildProcess;
  onExit: (exit: { code: number | null; signal: NodeJS.Signals | null; restartInMs: number }) => void;
  backoff?: BackoffOptions;
}): SupervisedProcess {
  let state: SupervisorState;
  let restarts = 0;
  let failures = 0;

  const launch = () => {
    const child = start();
    const running = { phase: 'running', child, startedAt: Date.now() } as const;
    state = running;
    child.once('exit', (code, signal) => {
      if (state !== running) return;
      failures = Date.now() - running.startedAt >= backoff.resetAfterMs ? 1 : failures + 1;
      const restartInMs = backoffDelay(failures, backoff);
      onExit({ code, signal, restartInMs });
      state = {
        phase: 'backing-off',
        timer: setTimeout(() => {
          restarts += 1;
          launch();
        }, restartInMs),
      };
    });
  };
  launch();

  return {
    get state() {
      return state;
    },
    get restarts() {
      return restarts;
    },
    async stop(graceMs = 10_000) {
      const previous = state;
      state = { phase: 'stopped' };
      switch (previous.phase) {
        case 'running':
          return terminate(previous.child, graceMs);
        case 'backing-off':
          return clearTimeout(previous.timer);
        case 'stopped':
          return;
        default: {
          const unreachable: never = previous;
          throw new Error(`unknown state ${JSON.stringify(unreachable)}`);
        }
      }
    },
  };
}
