import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Absolute path of `command` on PATH, or undefined. */
export function which(command: string, path = process.env.PATH ?? ''): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, command);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here; keep looking
    }
  }
  return undefined;
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
}

/**
 * Runs a command to completion. Output is collected (for error messages) and, when `onLine` is
 * given, streamed line by line, because some steps (a Go build, apt-get) take minutes.
 */
export function run(
  command: string,
  args: readonly string[],
  options: SpawnOptions & { onLine?: (line: string) => void; timeoutMs?: number } = {},
): Promise<RunResult> {
  const { onLine, timeoutMs, ...spawnOptions } = options;
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...spawnOptions, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let partial = '';
    const onData = (chunk: Buffer) => {
      const text = chunk.toString();
      output += text;
      if (!onLine) return;
      const lines = (partial + text).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) onLine(line);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    const timer = timeoutMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (onLine && partial !== '') onLine(partial);
      resolve({ code, signal, output });
    });
  });
}

/** Resolves once `child` has exited (immediately if it already has). */
export function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** `signal` (SIGTERM), then SIGKILL if the child outlives `graceMs`; resolves when it is gone. */
export async function terminate(
  child: ChildProcess,
  graceMs = 10_000,
  signal: NodeJS.Signals = 'SIGTERM',
): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = exited(child);
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await gone;
  clearTimeout(timer);
}

/** Keeps the last `max` characters of a stream, to quote a crashed process's last words. */
export class OutputTail {
  private text = '';
  constructor(private readonly max = 8000) {}
  push(chunk: Buffer | string): void {
    this.text = (this.text + chunk.toString()).slice(-this.max);
  }
  toString(): string {
    return this.text.trim();
  }
}

/**
 * Children are started in their own process group (so a terminal's Ctrl-C reaches only the parent,
 * which then stops them in order). The price is that they would outlive a parent that dies
 * abruptly; this last-resort hook kills whatever is still registered when the parent exits.
 */
const orphans = new Set<number>();
let hookInstalled = false;
export function killOnExit(pid: number): () => void {
  if (!hookInstalled) {
    hookInstalled = true;
    process.once('exit', () => {
      for (const group of orphans) {
        try {
          process.kill(-group, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    });
  }
  orphans.add(pid);
  return () => orphans.delete(pid);
}

/** Polls `probe` until it returns a value other than undefined/false, or throws at the deadline. */
export async function poll<T>(
  probe: () => Promise<T | undefined | false>,
  { timeoutMs, intervalMs = 100, message }: { timeoutMs: number; intervalMs?: number; message: () => string },
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() >= deadline) throw new Error(message());
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/**
 * A long-running child (database, broker, balancer) in its own process group, registered with
 * `killOnExit`, its recent output kept to explain a failed start.
 */
export class Daemon {
  readonly child: ChildProcess;
  readonly tail = new OutputTail();
  #spawnError: Error | undefined;
  readonly #forget: () => void;

  constructor(
    readonly name: string,
    command: string,
    args: readonly string[],
    options: { env?: NodeJS.ProcessEnv; cwd?: string; uid?: number; gid?: number } = {},
  ) {
    this.child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    this.#forget = killOnExit(this.child.pid ?? 0);
    this.child.stdout!.on('data', (chunk: Buffer) => this.tail.push(chunk));
    this.child.stderr!.on('data', (chunk: Buffer) => this.tail.push(chunk));
    this.child.once('error', (error) => (this.#spawnError = error));
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Polls `isReady` until it holds; fails at once, quoting the daemon's output, if it exits meanwhile. */
  async waitUntil(
    isReady: () => Promise<boolean>,
    { timeoutMs, intervalMs = 100, what }: { timeoutMs: number; intervalMs?: number; what: string },
  ): Promise<void> {
    await poll(
      async () => {
        if (this.#spawnError) throw new Error(`Could not start ${this.name}: ${this.#spawnError.message}`);
        if (!this.running)
          throw new Error(
            `${this.name} exited during start-up (${this.child.exitCode ?? this.child.signalCode}):\n${this.tail}`,
          );
        return isReady();
      },
      { timeoutMs, intervalMs, message: () => `${this.name} did not ${what} within ${timeoutMs} ms:\n${this.tail}` },
    );
  }

  /** `signal` (SIGTERM), then SIGKILL after `graceMs`. */
  async stop(graceMs = 10_000, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    await terminate(this.child, graceMs, signal);
    this.forget();
  }

  /** For daemons stopped another way (e.g. `rabbitmqctl stop`): no longer killed on exit. */
  forget(): void {
    this.#forget();
  }
}
