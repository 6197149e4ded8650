import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import WebSocket from 'ws';
import { createClient, type Client } from 'graphql-ws';
import { exited, freePort, repoRoot, terminate } from '@micropost/infra';
import { waitFor } from '@micropost/testing';

/** A Micropost server (app/src/index.ts) in a process of its own, as `npm start` runs it. */
export interface ServerProcess {
  readonly name: string;
  readonly port: number;
  readonly url: string;
  /** Ends it the hard way: what a crashed machine looks like to the rest. */
  kill(): Promise<void>;
  stop(): Promise<void>;
}

export async function startServerProcess(name: string, env: Record<string, string>): Promise<ServerProcess> {
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'app/src/index.ts'], {
    cwd: repoRoot,
    env: { ...process.env, ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lastLines: string[] = [];
  for (const stream of [child.stdout!, child.stderr!]) {
    createInterface({ input: stream }).on('line', (line) => {
      lastLines.push(line);
      if (lastLines.length > 40) lastLines.shift();
    });
  }
  const url = `http://127.0.0.1:${port}/graphql`;
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`${name} exited during start-up:\n${lastLines.join('\n')}`);
      return (await fetch(`http://127.0.0.1:${port}/health`).catch(() => null))?.ok;
    },
    { timeoutMs: 60_000, intervalMs: 100, message: `${name} never became healthy` },
  );
  return {
    name,
    port,
    url,
    kill: async () => {
      child.kill('SIGKILL');
      await exited(child);
    },
    stop: () => terminate(child, 10_000),
  };
}

/** A graphql-ws client, as a browser app would open it (tokens in connectionParams). */
export function subscriptionClient(httpUrl: string, token?: string, options: { retryAttempts?: number } = {}): Client {
  return createClient({
    url: httpUrl.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
    retryAttempts: options.retryAttempts ?? 0,
    retryWait: async () => new Promise((resolve) => setTimeout(resolve, 200)),
    lazy: false,
    // A refused connection reaches the subscription's error sink; no need to print it too.
    onNonLazyError: () => {},
    shouldRetry: () => true,
  });
}

/** Collects what one subscription delivers, with an awaitable "next N". */
export function collect<T = any>(client: Client, query: string, variables?: Record<string, unknown>) {
  const received: {
    at: number;
    payload: { data?: T; errors?: readonly { message: string; extensions?: Record<string, unknown> }[] };
  }[] = [];
  const failures: unknown[] = [];
  let done = false;
  const dispose = client.subscribe<T>(
    { query, variables },
    {
      next: (payload) => void received.push({ at: performance.now(), payload: payload as never }),
      error: (error) => void failures.push(error),
      complete: () => void (done = true),
    },
  );
  return {
    received,
    failures,
    get done() {
      return done;
    },
    dispose,
    /** Waits until `count` messages have arrived and returns the newest. */
    nth: async (count: number, timeoutMs = 15_000) => {
      await waitFor(async () => received.length >= count, {
        timeoutMs,
        message: `subscription ${query.slice(0, 60)}… got ${received.length} of ${count} messages (failures: ${JSON.stringify(failures)})`,
      });
      return received[count - 1]!.payload;
    },
  };
}
