// Runs the whole system on this machine (see DESIGN.md, "Running it"): FerretDB, RabbitMQ, then
// every service in scripts/services.ts, and shuts it all down again on Ctrl-C or when one dies.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { generateIdentityKeys, generateSecret, identityPublicKey } from '@micropost/auth';
import {
  ensureHaproxyInstalled,
  killOnExit,
  repoRoot,
  startBalancer,
  startDefaultRabbit,
  startFerretDB,
  terminate,
  type DefaultRabbit,
  type RunningBalancer,
  type RunningFerretDB,
} from '@micropost/infra';
import { SERVER_ENTRY, balancerPort, servers, type ServerSpec } from './services.ts';

const stateDir = join(repoRoot, '.micropost');
const say = (line: string) => console.log(`[launch] ${line}`);
const set = (name: string) => (process.env[name] ?? '').trim() !== '';

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

interface Running {
  spec: ServerSpec;
  child: ChildProcess;
}

const running: Running[] = [];
let ferret: RunningFerretDB | undefined;
let rabbit: DefaultRabbit | undefined;
let balancer: RunningBalancer | undefined;
let shuttingDown = false;
let stopped: Promise<never> | undefined;

/** Stops children (reverse order, SIGTERM then SIGKILL), then what we started; idempotent. */
function shutdown(code: number): Promise<never> {
  shuttingDown = true;
  stopped ??= (async () => {
    say('stopping…');
    if (balancer) await balancer.stop().then(() => say('HAProxy stopped'));
    for (const { spec, child } of [...running].reverse()) {
      await terminate(child, 10_000);
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
function prefixOutput(name: string, child: ChildProcess): void {
  const label = `[${name}]`.padEnd(9);
  for (const [stream, out] of [
    [child.stdout, process.stdout],
    [child.stderr, process.stderr],
  ] as const) {
    if (stream) createInterface({ input: stream }).on('line', (line) => out.write(`${label} ${line}\n`));
  }
}

async function waitHealthy(spec: ServerSpec, child: ChildProcess, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const url = `http://127.0.0.1:${spec.port}/health`;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${spec.name} exited during start-up`);
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

async function main(): Promise<void> {
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));
  mkdirSync(stateDir, { recursive: true });

  let mongoUrl = process.env.MONGO_URL ?? '';
  if (set('MONGO_URL')) say('database: MONGO_URL');
  else {
    const port = Number(process.env.MONGO_PORT ?? 27017);
    ferret = await startFerretDB({ dataDir: join(stateDir, 'ferretdb'), port, log: say });
    mongoUrl = ferret.url;
  }

  let amqpUrl: string | undefined;
  if (set('AMQP_URL')) {
    amqpUrl = process.env.AMQP_URL;
    say('events: AMQP_URL');
  } else {
    try {
      rabbit = await startDefaultRabbit({ log: say });
      amqpUrl = rabbit.amqpUrl;
    } catch (error) {
      say(`RabbitMQ is not available (${(error as Error).message.split('\n')[0]})`);
      say(
        'Events will stay in-process: run a single server only. Set AMQP_URL or install rabbitmq-server for the full system.',
      );
    }
  }

  const shared: Record<string, string> = {
    MONGO_URL: mongoUrl,
    ...loadSecrets(),
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
    ...(amqpUrl === undefined ? {} : { AMQP_URL: amqpUrl }),
  };
  const baseEnv = { ...process.env };
  if (amqpUrl === undefined) delete baseEnv.AMQP_URL;

  // Without RabbitMQ, events cannot cross processes: one server, on its in-process bus.
  const toStart = amqpUrl === undefined ? servers().slice(0, 1) : servers();
  for (const spec of toStart) {
    if (shuttingDown) return;
    // Own process group: a terminal's Ctrl-C reaches only this launcher, which stops children in order.
    const child = spawn(process.execPath, ['--import', 'tsx', SERVER_ENTRY], {
      cwd: repoRoot,
      env: { ...baseEnv, ...shared, PORT: String(spec.port) },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    running.push({ spec, child });
    // Last resort if this launcher itself crashes: its children must not outlive it.
    if (child.pid !== undefined) killOnExit(child.pid);
    prefixOutput(spec.name, child);
    child.once('exit', (code, signal) => {
      if (shuttingDown) return;
      const alive = running.filter((server) => server.child.exitCode === null && server.child.signalCode === null);
      say(
        `${spec.name} exited (${signal ?? `code ${code}`}); ${alive.length > 0 ? `the balancer now sends everything to ${alive.map((server) => server.spec.name).join(', ')}` : 'no server is left'}`,
      );
      if (alive.length === 0) void shutdown(1);
    });
    await waitHealthy(spec, child);
    say(`${spec.name} is healthy: http://localhost:${spec.port}/graphql`);
  }

  const addresses = toStart.map((spec) => `127.0.0.1:${spec.port}`);
  try {
    await ensureHaproxyInstalled({ log: say });
    balancer = await startBalancer({
      port: balancerPort(),
      servers: [addresses[0]!, addresses[1] ?? addresses[0]!],
      log: say,
    });
    say(`Micropost is up: open http://localhost:${balancer.port}/graphql (Apollo Sandbox, through the load balancer)`);
  } catch (error) {
    say(`No load balancer: ${(error as Error).message.split('\n')[0]}`);
    say(
      `Micropost is up without a balancer: open ${toStart.map((spec) => `http://localhost:${spec.port}/graphql`).join(' or ')} (Apollo Sandbox)`,
    );
  }
}

main().catch((error: unknown) => {
  say(`failed: ${error instanceof Error ? error.message : String(error)}`);
  void shutdown(1);
});
