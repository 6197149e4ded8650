import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { MongoClient } from 'mongodb';
import { generateIdentityKeys, generateSecret, type IdentityKeys } from '@micropost/auth';
import { createEventBus, type EventBus } from '@micropost/events';
import { createLogger } from '@micropost/logger';
import {
  RabbitAdmin,
  exited,
  freePort,
  killOnExit,
  repoRoot,
  startBalancer,
  startFerretDB,
  startRabbitNode,
  terminate,
  type FerretDBOptions,
  type RunningBalancer,
  type RunningFerretDB,
  type RunningRabbitNode,
  type QueueInfo,
} from '@micropost/infra';
import { memoryOf, say, sleep, until } from './progress.ts';

/** The servers' identity keys: each server is a router (signs) and subgraphs (verify). */
const identityKeyEnv = (keys: IdentityKeys) => ({
  INTERNAL_PRIVATE_KEY: keys.privateKey,
  INTERNAL_PUBLIC_KEY: keys.publicKey,
});

/** A Node process the bench started (a server, a gateway, the subgraph host), on a loopback port. */
export interface NodeProcess {
  readonly name: string;
  readonly pid: number;
  readonly port: number;
  /** `http://127.0.0.1:<port>/graphql` */
  readonly url: string;
  /** Lines it printed (last 200). */
  readonly output: string[];
  memory(): { rssMiB: number; peakMiB: number };
  /** Sends `signal` to the process (SIGKILL: a crash) and resolves once it has exited. */
  kill(signal: NodeJS.Signals): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts `node --import tsx <entry>` with PORT set, and waits until GET /health answers 200.
 * `nodeArgs` go before the entry (e.g. `--cpu-prof`).
 */
export async function startNodeProcess(
  name: string,
  entry: string,
  env: Record<string, string>,
  {
    nodeArgs = [],
    healthPath = '/health',
    timeoutMs = 90_000,
    ready,
    port: fixedPort,
  }: {
    nodeArgs?: string[];
    healthPath?: string;
    timeoutMs?: number;
    ready?: (port: number) => Promise<boolean>;
    /** A given port (a restarted server takes its predecessor's, which the balancer knows); default a free one. */
    port?: number;
  } = {},
): Promise<NodeProcess> {
  const port = fixedPort ?? (await freePort());
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', entry], {
    cwd: repoRoot,
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const forget = killOnExit(child.pid ?? 0);
  const output: string[] = [];
  for (const stream of [child.stdout!, child.stderr!]) {
    createInterface({ input: stream }).on('line', (line) => {
      output.push(line);
      if (output.length > 200) output.shift();
    });
  }
  try {
    await until(
      async () => {
        if (child.exitCode !== null || child.signalCode !== null)
          throw new Error(`${name} exited during start-up:\n${output.slice(-30).join('\n')}`);
        if (ready) return ready(port).catch(() => false);
        const response = await fetch(`http://127.0.0.1:${port}${healthPath}`, {
          signal: AbortSignal.timeout(2000),
        }).catch(() => null);
        await response?.body?.cancel();
        return response?.status === 200;
      },
      timeoutMs,
      `${name} to become healthy`,
      100,
    );
  } catch (error) {
    await terminate(child, 2_000);
    forget();
    throw error;
  }
  return {
    name,
    pid: child.pid!,
    port,
    url: `http://127.0.0.1:${port}/graphql`,
    output,
    memory: () => memoryOf(child.pid!),
    kill: async (signal) => {
      const gone = exited(child);
      child.kill(signal);
      await gone;
      forget();
    },
    stop: async () => {
      await terminate(child, 15_000);
      forget();
    },
  };
}

export interface ExternalServices {
  mongoUrl: string;
  amqpUrl: string;
  managementUrl: string;
  vhost: string;
  dbPrefix: string;
}

export interface Stack {
  /** Environment every Micropost process of this run gets (database, broker, secrets, log level). */
  readonly env: Record<string, string>;
  readonly dbPrefix: string;
  readonly mongo: MongoClient;
  /** The bench's own connection to the broker: seeding publishes events through it. */
  readonly bus: EventBus;
  readonly admin: RabbitAdmin;
  readonly vhost: string;
  readonly managementUrl: string;
  readonly a: NodeProcess;
  readonly b: NodeProcess;
  /** The database and broker this run started (absent with `external`): fault injection stops them. */
  readonly services?: { readonly ferret: RunningFerretDB; readonly rabbit: RunningRabbitNode };
  readonly balancerPort: number;
  /** `http://127.0.0.1:<balancer>/graphql` */
  readonly balancerUrl: string;
  stop(): Promise<void>;
}

export const SERVER_ENTRY = 'app/src/index.ts';

/**
 * FerretDB and a private RabbitMQ node (unless `external` names existing ones), servers A and B
 * as processes of their own, HAProxy in front of both; all on loopback.
 */
export async function startStack(
  options: {
    external?: ExternalServices;
    serverNodeArgs?: string[];
    /** Extra options of the FerretDB this run starts (profiling: its pprof listener, pg_stat_statements). */
    ferret?: Pick<FerretDBOptions, 'debugAddr' | 'postgresSettings'>;
    /** The broker URL a server gets (e.g. through a TCP proxy that a test can cut); default the broker's own. */
    amqpUrlFor?: (server: 'a' | 'b', amqpUrl: string) => Promise<string>;
  } = {},
): Promise<Stack> {
  const stack: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const release of stack.reverse().splice(0))
      await release().catch((error: Error) => say(`shutdown step failed: ${error.message}`));
  };
  try {
    let services = options.external;
    let started: Stack['services'];
    if (!services) {
      const dir = mkdtempSync(join(tmpdir(), 'micropost-bench-'));
      stack.push(async () => rmSync(dir, { recursive: true, force: true }));
      say('starting FerretDB and a private RabbitMQ node…');
      const quiet = () => {};
      const [ferret, rabbit] = await Promise.all([
        startFerretDB({ dataDir: join(dir, 'ferretdb'), log: quiet, ...options.ferret }),
        startRabbitNode({ dir: join(dir, 'rabbitmq'), nodeName: `micropost_bench_${process.pid}`, log: quiet }),
      ]);
      started = { ferret, rabbit };
      stack.push(
        () => ferret.stop(),
        () => rabbit.stop(),
      );
      services = {
        mongoUrl: ferret.url,
        amqpUrl: rabbit.amqpUrl,
        managementUrl: rabbit.managementUrl,
        vhost: '/',
        dbPrefix: 'bench_',
      };
    }
    const env: Record<string, string> = {
      MONGO_URL: services.mongoUrl,
      MONGO_DB_PREFIX: services.dbPrefix,
      AMQP_URL: services.amqpUrl,
      JWT_SECRET: generateSecret(),
      ...identityKeyEnv(generateIdentityKeys()),
      LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
      // The bench is one client address driving the load of many: it measures throughput, not the limits.
      RATE_LIMIT_REQUESTS_PER_MINUTE: '100000000',
      RATE_LIMIT_WRITES_PER_MINUTE: '100000000',
      RATE_LIMIT_REGISTRATIONS_PER_HOUR: '100000000',
      RATE_LIMIT_WS_CONNECTIONS_PER_MINUTE: '100000000',
    };
    const mongo = new MongoClient(services.mongoUrl, { maxPoolSize: 8 });
    await mongo.connect();
    stack.push(() => mongo.close());
    const bus = await createEventBus({
      url: services.amqpUrl,
      exchange: 'micropost.events',
      prefetch: 32,
      logger: createLogger('bench', 'warn'),
    });
    stack.push(() => bus.close());

    say('starting server A and server B…');
    const nodeArgs = options.serverNodeArgs ?? [];
    const envFor = async (server: 'a' | 'b') =>
      options.amqpUrlFor ? { ...env, AMQP_URL: await options.amqpUrlFor(server, env.AMQP_URL!) } : env;
    const [a, b] = await Promise.all([
      startNodeProcess('server-a', SERVER_ENTRY, await envFor('a'), { nodeArgs }),
      startNodeProcess('server-b', SERVER_ENTRY, await envFor('b'), { nodeArgs }),
    ]);
    stack.push(
      () => a.stop(),
      () => b.stop(),
    );
    const balancerPort = await freePort();
    const balancer: RunningBalancer = await startBalancer({
      port: balancerPort,
      servers: [`127.0.0.1:${a.port}`, `127.0.0.1:${b.port}`],
      log: () => {},
      // One address drives the whole load here: lift the balancer's per-address limits too.
      env: { BALANCER_MAX_CONNECTIONS_PER_ADDRESS: '100000', BALANCER_MAX_REQUESTS_PER_10S_PER_ADDRESS: '100000000' },
    });
    stack.push(() => balancer.stop());
    // HAProxy needs two good health checks (500 ms apart) before it sends anything.
    await until(
      async () =>
        await fetch(`http://127.0.0.1:${balancerPort}/health`).then(
          (r) => r.status === 200,
          () => false,
        ),
      15_000,
      'the balancer to find a server',
    );
    say(`servers A (${a.port}) and B (${b.port}) behind HAProxy on ${balancerPort}`);
    return {
      env,
      dbPrefix: services.dbPrefix,
      mongo,
      bus,
      admin: new RabbitAdmin(services.managementUrl),
      vhost: services.vhost,
      managementUrl: services.managementUrl,
      a,
      b,
      ...(started ? { services: started } : {}),
      balancerPort,
      balancerUrl: `http://127.0.0.1:${balancerPort}/graphql`,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Durable queues that empty as their consumers keep up: not dead-letter queues, not streams (a stream keeps what it holds). */
export const drainsWhenConsumed = (queue: QueueInfo) =>
  queue.durable && !queue.name.endsWith('.dlq') && queue.type !== 'stream';

/** Waits (bounded) until the broker's durable queues are empty; does not fail the run when they are not. */
export async function settleQueues(stack: Stack, timeoutMs: number): Promise<void> {
  const t0 = performance.now();
  while (performance.now() - t0 < timeoutMs) {
    const queues = (await stack.admin.listQueues(stack.vhost)).filter(drainsWhenConsumed);
    if (queues.every((queue) => queue.messages === 0)) return;
    await sleep(500);
  }
  say(`  (queues still busy after ${timeoutMs / 1000} s; measuring anyway)`);
}
