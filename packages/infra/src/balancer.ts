import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureDebianPackage, findCommand, type Machine } from './debian.ts';
import { haproxyConfig, serverAddressVariable } from './haproxy-config.ts';
import { stderrLog, type Log } from './log.ts';
import { repoRoot } from './paths.ts';
import { isPortOpen } from './ports.ts';
import { Daemon } from './process.ts';

/** haproxyConfig({ servers: 2 }) as a file, for docker-compose.yml (a test keeps the two equal). */
export const HAPROXY_CONFIG = join(repoRoot, 'deploy', 'haproxy.cfg');

export interface BalancerOptions {
  /** Loopback port clients use. */
  readonly port: number;
  /** `host:port` of each server (at least one). */
  readonly servers: readonly string[];
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
    howToProvide: 'Install HAProxy (e.g. `apt-get install haproxy`) to put the servers behind one port.',
    log,
  });
}

/** Runs HAProxy in the foreground (`-db`) in front of `servers`, with haproxyConfig() for their number. */
export async function startBalancer({
  port,
  servers,
  log = stderrLog,
  env = {},
}: BalancerOptions): Promise<RunningBalancer> {
  const haproxy = findCommand('haproxy');
  if (haproxy === undefined) throw new Error('haproxy is not installed');
  const dir = mkdtempSync(join(tmpdir(), 'micropost-haproxy-'));
  const configFile = join(dir, 'haproxy.cfg');
  writeFileSync(configFile, haproxyConfig({ servers: servers.length }));
  const addresses = Object.fromEntries(servers.map((address, index) => [serverAddressVariable(index), address]));
  const daemon = new Daemon('HAProxy', haproxy, ['-db', '-f', configFile], {
    env: { ...process.env, ...env, BALANCER_BIND: `127.0.0.1:${port}`, ...addresses },
  });
  const stop = async () => {
    await daemon.stop(5_000);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await daemon.waitUntil(() => isPortOpen(port), { timeoutMs: 10_000, what: `listen on ${port}` });
  } catch (error) {
    await stop();
    throw error;
  }
  log(`HAProxy balancing 127.0.0.1:${port} over ${servers.join(', ')}.`);
  return { port, stop };
}
