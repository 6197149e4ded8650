import { join } from 'node:path';
import { ensureDebianPackage, findCommand, type Machine } from './debian.ts';
import { stderrLog, type Log } from './log.ts';
import { repoRoot } from './paths.ts';
import { isPortOpen } from './ports.ts';
import { Daemon } from './process.ts';

/** The balancer's configuration, shared with docker-compose.yml. */
export const HAPROXY_CONFIG = join(repoRoot, 'deploy', 'haproxy.cfg');

export interface BalancerOptions {
  /** Loopback port clients use. */
  readonly port: number;
  /** `host:port` of server A and server B. */
  readonly servers: readonly [string, string];
  readonly log?: Log;
  /** More environment for the config, e.g. BALANCER_MAX_REQUESTS_PER_10S_PER_ADDRESS. */
  readonly env?: Readonly<Record<string, string>>;
}

export interface RunningBalancer {
  readonly port: number;
  stop(): Promise<void>;
}

export function ensureHaproxyInstalled({ log = stderrLog, machine }: { log?: Log; machine?: Machine } = {}) {
  return ensureDebianPackage({
    machine,
    command: 'haproxy',
    pkg: 'haproxy',
    howToProvide: 'Install HAProxy (e.g. `apt-get install haproxy`) to put both servers behind one port.',
    log,
  });
}

/** Runs HAProxy in the foreground (`-db`) with deploy/haproxy.cfg, in front of the two servers. */
export async function startBalancer({
  port,
  servers,
  log = stderrLog,
  env = {},
}: BalancerOptions): Promise<RunningBalancer> {
  const haproxy = findCommand('haproxy');
  if (haproxy === undefined) throw new Error('haproxy is not installed');
  const daemon = new Daemon('HAProxy', haproxy, ['-db', '-f', HAPROXY_CONFIG], {
    env: { ...process.env, ...env, BALANCER_BIND: `127.0.0.1:${port}`, SERVER_A: servers[0], SERVER_B: servers[1] },
  });
  const stop = () => daemon.stop(5_000);
  try {
    await daemon.waitUntil(() => isPortOpen(port), { timeoutMs: 10_000, what: `listen on ${port}` });
  } catch (error) {
    await stop();
    throw error;
  }
  log(`HAProxy balancing 127.0.0.1:${port} over ${[...new Set(servers)].join(' and ')}.`);
  return { port, stop };
}
