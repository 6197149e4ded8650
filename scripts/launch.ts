// Runs the whole system on this machine (see DESIGN.md, "Running it"): prepares the services as
// `npm test` does, starts FerretDB, RabbitMQ, the SERVERS servers of scripts/services.ts (each
// restarted when it dies) and HAProxy over them, and shuts it all down again on Ctrl-C.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { generateIdentityKeys, generateSecret, identityPublicKey } from '@micropost/auth';
import {
  type Availability,
  type DefaultRabbit,
  killOnExit,
  prepareServices,
  type RunningBalancer,
  type RunningFerretDB,
  repoRoot,
  startBalancer,
  startDefaultRabbit,
  startFerretDB,
  startRabbitCluster,
} from '@micropost/infra';
import { boxed, planLaunch, upBanner } from './launch-plan.ts';
import { balancerPort, rabbitNodeCount, SERVER_ENTRY, type ServerSpec, servers } from './services.ts';
import { type SupervisedProcess, supervise } from './supervisor.ts';

const stateDir = join(repoRoot, '.micropost');
const say = (line: string) => console.log(`[launch] ${line}`);
const set = (name: string) => (process.env[name] ?? '').trim() !== '';
const firstLine = (error: unknown) => (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';

type SecretName = 'JWT_SECRET' | 'INTERNAL_PRIVATE_KEY' | 'INTERNAL_PUBLIC_KEY';

/**
 * Secrets survive restarts (tokens stay valid); the environment wins over the file. The identity
 * key pair is made together: the router signs with the private key, subgraphs verify with the public.
 */
function loadSecrets(): Record<SecretName, string> {
  const file = join(stateDir, 'secrets.json');
  const stored: Partial<Record<SecretName, string>> = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
  const keys =
    stored.INTERNAL_PRIVATE_KEY && stored.INTERNAL_PUBLIC_KEY
      ? { privateKey: stored.INTERNAL_PRIVATE_KEY, publicKey: stored.INTERNAL_PUBLIC_KEY }
      : generateIdentityKeys();
  const secrets: Record<SecretName, string> = {
    JWT_SECRET: stored.JWT_SECRET ?? generateSecret(),
    INTERNAL_PRIVATE_KEY: keys.privateKey,
    INTERNAL_PUBLIC_KEY: keys.publicKey,
  };
  if ((Object.keys(secrets) as SecretName[]).some((name) => stored[name] !== secrets[name])) {
    writeFileSync(file, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
  }
  const fromEnv = (name: SecretName) => (set(name) ? process.env[name]! : secrets[name]);
  const privateKey = fromEnv('INTERNAL_PRIVATE_KEY');
  return {
    JWT_SECRET: fromEnv('JWT_SECRET'),
    INTERNAL_PRIVATE_KEY: privateKey,
    // A private key given alone brings its own public key.
    INTERNAL_PUBLIC_KEY: set('INTERNAL_PUBLIC_KEY')
      ? process.env.INTERNAL_PUBLIC_KEY!
      : set('INTERNAL_PRIVATE_KEY')
        ? identityPublicKey(privateKey)
        : secrets.INTERNAL_PUBLIC_KEY,
  };
}

const supervised: { spec: ServerSpec; process: SupervisedProcess }[] = [];
let ferret: RunningFerretDB | undefined;
let rabbit: Pick<DefaultRabbit, 'started' | 'stop'> | undefined;
let balancer: RunningBalancer | undefined;
let shuttingDown = false;
let stopped: Promise<never> | undefined;

/** Stops what was started, in reverse order (servers: SIGTERM then SIGKILL); idempotent. */
function shutdown(code: number): Promise<never> {
  shuttingDown = true;
  stopped ??= (async () => {
    say('stopping…');
    if (balancer) await balancer.stop().then(() => say('HAProxy stopped'));
    for (const { spec, process: server } of [...supervised].reverse()) {
      await server.stop();
      say(`${spec.name} stopped`);
    }
    if (ferret)
      await ferret.stop().then(
        () => say('FerretDB stopped'),
        (error: Error) => say(`FerretDB: ${error.message}`),
      );
    if (rabbit?.started)
      await rabbit.stop().then(
        () => say('RabbitMQ stopped'),
        (error: Error) => say(`RabbitMQ: ${error.message}`),
      );
    process.exit(code);
  })();
  return stopped;
}

/** Prefixes every line a child prints with its name, so interleaved logs stay readable. */
function prefixOutput(name: string, streams: readonly [Readable | null, NodeJS.WriteStream][]): void {
  const label = `[${name}]`.padEnd(9);
  for (const [stream, out] of streams) {
    if (stream) createInterface({ input: stream }).on('line', (line) => out.write(`${label} ${line}\n`));
  }
}

async function waitHealthy(spec: ServerSpec, server: SupervisedProcess, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const url = `http://127.0.0.1:${spec.port}/health`;
  while (Date.now() < deadline) {
    if (shuttingDown) return;
    if (server.restarts > 0) throw new Error(`${spec.name} exited during start-up`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await response.body?.cancel();
      if (response.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${spec.name} did not answer 200 on ${url} within ${timeoutMs / 1000} s`);
}

/** Starts one server under supervision: it is started again, with back-off, whenever it dies. */
function startServer(spec: ServerSpec, env: NodeJS.ProcessEnv): SupervisedProcess {
  return supervise({
    start: () => {
      // Own process group: a terminal's Ctrl-C reaches only this launcher, which stops children in order.
      const child = spawn(process.execPath, ['--import', 'tsx', SERVER_ENTRY], {
        cwd: repoRoot,
        env: { ...env, PORT: String(spec.port) },
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      });
      // Last resort if this launcher itself crashes: its children must not outlive it.
      if (child.pid !== undefined) {
        const forget = killOnExit(child.pid);
        child.once('exit', forget);
      }
      prefixOutput(spec.name, [
        [child.stdout, process.stdout],
        [child.stderr, process.stderr],
      ]);
      return child;
    },
    onExit: ({ code, signal, restartInMs }) =>
      say(
        `${spec.name} exited (${signal ?? `code ${code}`}); restarting it in ${restartInMs / 1000} s` +
          (balancer ? ' (meanwhile the balancer sends its clients to the other servers)' : ''),
      ),
  });
}

async function startRabbit(
  prepared: Availability,
  rabbitNodes: number,
): Promise<{ availability: Availability; amqpUrl?: string }> {
  if (set('AMQP_URL')) {
    say('events: AMQP_URL');
    return { availability: prepared, amqpUrl: process.env.AMQP_URL };
  }
  if (!prepared.ok) return { availability: prepared };
  try {
    if (rabbitNodes > 1) {
      // A private cluster kept in .micropost (same node names each run, so its queues survive a
      // restart); every server is given every node's address.
      const cluster = await startRabbitCluster({
        dir: join(stateDir, 'rabbitmq-cluster'),
        size: rabbitNodes,
        // Unique per checkout: node names are machine-wide (epmd).
        namePrefix: `micropost_${createHash('sha256').update(stateDir).digest('hex').slice(0, 8)}`,
        log: say,
      });
      rabbit = { started: true, stop: cluster.stop };
      return { availability: prepared, amqpUrl: cluster.amqpUrl };
    }
    const node = await startDefaultRabbit({ log: say });
    rabbit = node;
    return { availability: prepared, amqpUrl: node.amqpUrl };
  } catch (error) {
    return { availability: { ok: false, why: firstLine(error) } };
  }
}

async function main(): Promise<void> {
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));
  mkdirSync(stateDir, { recursive: true });
  // A bad SERVERS, RABBITMQ_NODES or port is refused before anything starts.
  const all = servers();
  const rabbitNodes = rabbitNodeCount();

  const prepared = await prepareServices({
    log: say,
    externalDatabase: set('MONGO_URL'),
    externalRabbitMQ: set('AMQP_URL'),
  });
  if (!prepared.database.ok) throw new Error(`no database: ${prepared.database.why}`);

  let mongoUrl = process.env.MONGO_URL ?? '';
  if (set('MONGO_URL')) say('database: MONGO_URL');
  else {
    const port = Number(process.env.MONGO_PORT ?? 27017);
    ferret = await startFerretDB({ dataDir: join(stateDir, 'ferretdb'), port, log: say });
    mongoUrl = ferret.url;
  }

  const events = await startRabbit(prepared.rabbitmq, rabbitNodes);
  const plan = planLaunch(all, events.availability);
  if (plan.warning) console.log(`\n${boxed(plan.warning)}\n`);

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    MONGO_URL: mongoUrl,
    ...loadSecrets(),
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
  };
  if (events.amqpUrl === undefined) delete env.AMQP_URL;
  else env.AMQP_URL = events.amqpUrl;

  for (const spec of plan.servers) {
    if (shuttingDown) return;
    const server = startServer(spec, env);
    supervised.push({ spec, process: server });
    await waitHealthy(spec, server);
    say(`${spec.name} is healthy on port ${spec.port}`);
  }

  const addresses = plan.servers.map((spec) => `127.0.0.1:${spec.port}`);
  if (prepared.balancer.ok) {
    try {
      balancer = await startBalancer({ port: balancerPort(), servers: addresses, log: say });
    } catch (error) {
      say(`No load balancer: ${firstLine(error)}`);
    }
  } else say(`No load balancer: ${firstLine(prepared.balancer.why)}`);
  console.log(`\n${upBanner({ servers: plan.servers, balancerPort: balancer?.port ?? null })}\n`);
}

main().catch((error: unknown) => {
  say(`failed: ${error instanceof Error ? error.message : String(error)}`);
  void shutdown(1);
});
