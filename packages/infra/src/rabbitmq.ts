import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDebianPackage, type Machine } from './debian.ts';
import { stderrLog, type Log } from './log.ts';
import { freePort, isPortOpen } from './ports.ts';
import { Daemon, exited, poll, run, which } from './process.ts';

/**
 * Debian's /usr/sbin/rabbitmq-* wrappers `su` to the rabbitmq user when run as root, which could
 * not write our private directories nor read our cookie. The real scripts behind them run as
 * whoever calls them, so a private node uses those when they exist.
 */
const DEBIAN_SCRIPTS = '/usr/lib/rabbitmq/bin';

function privateScript(name: 'rabbitmq-server' | 'rabbitmqctl'): string | undefined {
  const debian = join(DEBIAN_SCRIPTS, name);
  return existsSync(debian) ? debian : which(name);
}

const HOW_TO_PROVIDE =
  'Install RabbitMQ (Debian/Ubuntu: `apt-get install -y rabbitmq-server`; macOS: `brew install rabbitmq`) ' +
  'or point AMQP_URL (and, for tests, RABBITMQ_MANAGEMENT_URL) at a running broker.';

/** Installs rabbitmq-server with apt when it is missing and we may (root on a Debian-like system). */
export function ensureRabbitMQInstalled({ log = stderrLog, machine }: { log?: Log; machine?: Machine } = {}) {
  return ensureDebianPackage({
    command: 'rabbitmq-server',
    pkg: 'rabbitmq-server',
    howToProvide: HOW_TO_PROVIDE,
    log,
    machine,
  });
}

export interface RabbitNodeOptions {
  /** Mnesia, logs, pid file, config and Erlang cookie live here; created if missing. */
  dir: string;
  /** AMQP port; 0 (default) picks a free one. */
  port?: number;
  /** Management HTTP port; 0 (default) picks a free one. */
  managementPort?: number;
  /** Short node name; the node is `<nodeName>@localhost`. */
  nodeName?: string;
  log?: Log;
  startTimeoutMs?: number;
  /** Erlang cookie, written to `<dir>/.erlang.cookie`; the nodes of a cluster share one. Default: the node makes its own. */
  cookie?: string;
  /**
   * Full name of a running (or booting) node this one joins at its first boot, through peer
   * discovery's classic config: one boot, where `stop_app; join_cluster; start_app` would take two.
   */
  clusterWith?: string;
}

export interface RunningRabbitNode {
  /** `amqp://guest:guest@127.0.0.1:<port>`, no vhost. */
  amqpUrl: string;
  /** `http://127.0.0.1:<managementPort>` */
  managementUrl: string;
  /** Full Erlang node name, `<name>@localhost`. */
  nodeName: string;
  /** AMQP port on 127.0.0.1. */
  port: number;
  /** Runs `rabbitmqctl -n <node> …` with this node's cookie; resolves with its output, rejects on failure. */
  rabbitmqctl(...args: string[]): Promise<string>;
  /** Stops the whole node and waits for the VM to exit. */
  stop(): Promise<void>;
  /** Stops the RabbitMQ application (connections drop, port closes) while the VM stays up. */
  stopApp(): Promise<void>;
  /** Starts it again and waits until AMQP and the management API answer. */
  startApp(): Promise<void>;
  /** stopApp() then startApp(): a broker restart, for reconnection tests. */
  restart(): Promise<void>;
}

/**
 * Starts a private RabbitMQ node (its own name, ports, data and cookie; never the system's default
 * node) in the foreground as our child, and resolves when the management API and AMQP answer.
 */
export async function startRabbitNode(options: RabbitNodeOptions): Promise<RunningRabbitNode> {
  // A free port can be taken by someone else between freePort() and the node binding it (other
  // test runs on this machine): then boot fails with `…already_used` / eaddrinuse. Try new ports.
  const portsChosenForUs = !options.port && !options.managementPort;
  for (let attempt = 1; ; attempt++) {
    try {
      return await startRabbitNodeOnce(options);
    } catch (error) {
      const portTaken = /already_used|eaddrinuse/i.test(error instanceof Error ? error.message : String(error));
      if (!portsChosenForUs || !portTaken || attempt >= 3) throw error;
      (options.log ?? stderrLog)(`RabbitMQ could not bind a port picked for it (attempt ${attempt}); trying others`);
    }
  }
}

async function startRabbitNodeOnce(options: RabbitNodeOptions): Promise<RunningRabbitNode> {
  const { dir, log = stderrLog, startTimeoutMs = 60_000 } = options;
  const server = privateScript('rabbitmq-server');
  const ctl = privateScript('rabbitmqctl');
  if (server === undefined || ctl === undefined) throw new Error(`rabbitmq-server is not installed. ${HOW_TO_PROVIDE}`);

  const port = options.port || (await freePort());
  const managementPort = options.managementPort || (await freePort());
  const distPort = await freePort();
  const nodeName = `${options.nodeName ?? `micropost_${port}`}@localhost`;

  mkdirSync(dir, { recursive: true });
  if (options.cookie !== undefined) {
    // Erlang refuses a cookie file others can read.
    const cookieFile = join(dir, '.erlang.cookie');
    rmSync(cookieFile, { force: true });
    writeFileSync(cookieFile, options.cookie, { mode: 0o400 });
    chmodSync(cookieFile, 0o400);
  }
  const configFile = join(dir, 'rabbitmq.conf');
  const pluginsFile = join(dir, 'enabled_plugins');
  writeFileSync(pluginsFile, '[rabbitmq_management].\n');
  writeFileSync(
    configFile,
    [
      `listeners.tcp.default = 127.0.0.1:${port}`,
      `management.tcp.port = ${managementPort}`,
      'management.tcp.ip = 127.0.0.1',
      // Queue counters in the management API refresh every 5 s by default; tests read them.
      'collect_statistics_interval = 500',
      ...(options.clusterWith === undefined
        ? []
        : [
            'cluster_formation.peer_discovery_backend = classic_config',
            `cluster_formation.classic_config.nodes.1 = ${options.clusterWith}`,
            // Node 1 may still be booting: keep looking for it (2 min) rather than start alone.
            'cluster_formation.discovery_retry_limit = 240',
            'cluster_formation.discovery_retry_interval = 500',
          ]),
      '',
    ].join('\n'),
  );
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    // The Erlang cookie is read from $HOME; a private HOME gives the node and our rabbitmqctl calls their own.
    HOME: dir,
    RABBITMQ_NODENAME: nodeName,
    RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
    RABBITMQ_NODE_PORT: String(port),
    RABBITMQ_DIST_PORT: String(distPort),
    RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: join(dir, 'log'),
    RABBITMQ_PID_FILE: join(dir, 'rabbitmq.pid'),
    RABBITMQ_ENABLED_PLUGINS_FILE: pluginsFile,
    RABBITMQ_CONFIG_FILE: configFile,
    RABBITMQ_ADVANCED_CONFIG_FILE: join(dir, 'advanced.config'),
    // Erlang distribution listens on loopback only.
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: '-kernel inet_dist_use_interface {127,0,0,1}',
    // Keep the machine's /etc/rabbitmq/rabbitmq-env.conf (node name, ports) out of a private node.
    RABBITMQ_CONF_ENV_FILE: join(dir, 'rabbitmq-env.conf'),
  };

  const amqpUrl = `amqp://guest:guest@127.0.0.1:${port}`;
  const managementUrl = `http://127.0.0.1:${managementPort}`;
  const started = Date.now();
  const daemon = new Daemon(`RabbitMQ node ${nodeName}`, server, [], { env, cwd: dir });
  const gone = exited(daemon.child);

  const rabbitmqctl = async (...args: string[]): Promise<string> => {
    const result = await run(ctl, ['-n', nodeName, ...args], { env, cwd: dir, timeoutMs: 60_000 });
    if (result.code !== 0)
      throw new Error(
        `rabbitmqctl -n ${nodeName} ${args.join(' ')} failed (${result.code ?? result.signal}):\n${result.output}`,
      );
    return result.output;
  };

  // The management listener can come up before the AMQP listener fails to bind, so check both.
  const ready = (timeoutMs: number) =>
    daemon.waitUntil(async () => (await managementAnswers(managementUrl)) && (await isPortOpen(port)), {
      timeoutMs,
      intervalMs: 200,
      what: `answer on ${managementUrl}`,
    });

  /** Falls back to killing the VM (its pid is in the pid file) and the wrapper script group. */
  const kill = () => {
    for (const pid of [
      readPid(env.RABBITMQ_PID_FILE!),
      daemon.child.pid === undefined ? undefined : -daemon.child.pid,
    ]) {
      if (pid === undefined) continue;
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  };

  const stop = async () => {
    if (daemon.running) {
      await rabbitmqctl('stop').catch(() => kill());
      const timer = setTimeout(kill, 30_000);
      await gone;
      clearTimeout(timer);
    }
    daemon.forget();
  };

  try {
    await ready(startTimeoutMs);
  } catch (error) {
    await stop();
    throw error;
  }
  log(`RabbitMQ node ${nodeName} up in ${Date.now() - started} ms (AMQP ${port}, management ${managementPort}).`);

  const stopApp = async () => {
    await rabbitmqctl('stop_app');
  };
  const startApp = async () => {
    await rabbitmqctl('start_app');
    await ready(startTimeoutMs);
  };
  return {
    amqpUrl,
    managementUrl,
    nodeName,
    port,
    rabbitmqctl,
    stop,
    stopApp,
    startApp,
    restart: async () => {
      await stopApp();
      await startApp();
    },
  };
}

function readPid(file: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(file, 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

async function managementAnswers(managementUrl: string, user = 'guest', password = 'guest'): Promise<boolean> {
  try {
    const response = await fetch(`${managementUrl}/api/overview`, {
      headers: { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` },
      signal: AbortSignal.timeout(2000),
    });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}

export interface DefaultRabbit {
  amqpUrl: string;
  /** True when this call started the node (so stop() should stop it again). */
  started: boolean;
  /** Stops the node if this call started it; otherwise does nothing. */
  stop(): Promise<void>;
}

/**
 * The machine's default RabbitMQ node, for `npm start`: reused when `rabbitmqctl status` answers,
 * else started with `rabbitmq-server -detached`. Uses the system wrappers on purpose: on Debian they
 * run the node as the rabbitmq user with the system's data and cookie.
 */
export async function startDefaultRabbit({
  log = stderrLog,
  timeoutMs = 60_000,
}: {
  log?: Log;
  timeoutMs?: number;
} = {}): Promise<DefaultRabbit> {
  const sbin = `${process.env.PATH ?? ''}:/usr/sbin:/usr/local/sbin:/opt/homebrew/sbin`;
  const server = which('rabbitmq-server', sbin);
  const ctl = which('rabbitmqctl', sbin);
  if (server === undefined || ctl === undefined) throw new Error(`rabbitmq-server is not installed. ${HOW_TO_PROVIDE}`);
  const amqpUrl = 'amqp://guest:guest@127.0.0.1:5672';
  const status = async () => (await run(ctl, ['status'], { timeoutMs: 30_000 })).code === 0;

  if (await status()) {
    log('Using the RabbitMQ node that is already running.');
    return { amqpUrl, started: false, stop: async () => undefined };
  }
  log('Starting RabbitMQ (`rabbitmq-server -detached`)…');
  const started = Date.now();
  const launched = await run(server, ['-detached'], { timeoutMs: 30_000 });
  if (launched.code !== 0)
    throw new Error(`\`rabbitmq-server -detached\` failed (${launched.code ?? launched.signal}):\n${launched.output}`);
  await poll(async () => (await status()) && (await isPortOpen(5672)), {
    timeoutMs,
    intervalMs: 500,
    message: () =>
      `RabbitMQ did not answer \`rabbitmqctl status\` and port 5672 within ${timeoutMs} ms (see /var/log/rabbitmq).`,
  });
  log(`RabbitMQ up in ${Date.now() - started} ms.`);
  return {
    amqpUrl,
    started: true,
    stop: async () => {
      const result = await run(ctl, ['stop'], { timeoutMs: 60_000 });
      if (result.code !== 0) log(`rabbitmqctl stop failed: ${result.output.trim()}`);
    },
  };
}
