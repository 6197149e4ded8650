import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import WebSocket from 'ws';
import { createClient, type Client } from 'graphql-ws';
import {
  exited,
  freePort,
  repoRoot,
  type RunningBalancer,
  serverLetter,
  startBalancer,
  terminate,
} from '@micropost/infra';
import { createTestServices, graphql, type TestServices, waitFor } from '@micropost/testing';

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

/** Servers as `npm start` runs them (server-a, server-b…), optionally behind the real balancer. */
export interface Servers {
  readonly services: TestServices;
  /** Every server, in order: server-a first. */
  readonly all: readonly ServerProcess[];
  /** The balancer's /graphql when started with one; server A's otherwise. */
  readonly url: string;
  readonly balancer: RunningBalancer | undefined;
  /** A subscription client that stop() disposes of. */
  client(httpUrl: string, token?: string, options?: { retryAttempts?: number }): Client;
  stop(): Promise<void>;
}

/** The two-server case, with its servers by name. */
export interface TwoServers extends Servers {
  readonly a: ServerProcess;
  readonly b: ServerProcess;
}

/** Starts `count` servers on fresh databases and a fresh vhost; `stop()` undoes all of it. */
export async function startServers(
  count: number,
  { balancer: withBalancer = false, env = {} }: { balancer?: boolean; env?: Record<string, string> } = {},
): Promise<Servers> {
  const services = await createTestServices();
  const all = await Promise.all(
    Array.from({ length: count }, (_, index) => startServerProcess(`server-${serverLetter(index)}`, services.env(env))),
  );
  const balancer = withBalancer
    ? await startBalancer({
        port: await freePort(),
        servers: all.map((server) => `127.0.0.1:${server.port}`),
        log: () => {},
      })
    : undefined;
  const clients: Client[] = [];
  return {
    services,
    all,
    balancer,
    url: balancer ? `http://127.0.0.1:${balancer.port}/graphql` : all[0]!.url,
    client: (httpUrl, token, options) => {
      const client = subscriptionClient(httpUrl, token, options);
      clients.push(client);
      return client;
    },
    stop: async () => {
      await Promise.all(clients.map((client) => client.dispose()));
      await balancer?.stop();
      await Promise.all(all.map((server) => server.stop()));
      await services.dispose();
    },
  };
}

/** Servers A and B: startServers(2). */
export async function startTwoServers(
  options: { balancer?: boolean; env?: Record<string, string> } = {},
): Promise<TwoServers> {
  const servers = await startServers(2, options);
  return { ...servers, a: servers.all[0]!, b: servers.all[1]! };
}

/** Open subscriptions on a server, from its /health; 0 while it does not answer (a dead server holds none). */
export async function liveSubscriptions(server: ServerProcess): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${server.port}/health`).catch(() => null);
  return response ? ((await response.json()) as { liveSubscriptions: number }).liveSubscriptions : 0;
}

/** A GraphQL operation on `server` that must succeed: its data. */
export async function mutate(
  server: ServerProcess,
  token: string,
  query: string,
  variables: Record<string, unknown> = {},
) {
  const response = await graphql(server.url, query, { token, variables });
  if (response.errors) throw new Error(JSON.stringify(response.errors));
  return response.data!;
}

/** Opens a subscription on `server` and waits until the server has registered it (or answered). */
export async function subscribe(
  servers: Servers,
  server: ServerProcess,
  token: string | undefined,
  query: string,
  variables?: Record<string, unknown>,
) {
  const before = await liveSubscriptions(server);
  const client = servers.client(server.url, token);
  const subscription = collect(client, query, variables);
  await waitFor(
    async () =>
      (await liveSubscriptions(server)) > before ||
      subscription.received.length > 0 ||
      subscription.failures.length > 0,
    { message: `${server.name} never registered the subscription` },
  );
  return { ...subscription, client };
}
