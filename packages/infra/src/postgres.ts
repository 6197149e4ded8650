import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  realpathSync,
  statSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { ensureDebianPackage, findCommand } from './debian.ts';
import { stderrLog, type Log } from './log.ts';
import { freePort } from './ports.ts';
import { Daemon, run } from './process.ts';

const HOW_TO_PROVIDE =
  'Install PostgreSQL (Debian/Ubuntu: `apt-get install -y postgresql`; macOS: `brew install postgresql`), ' +
  'or set MONGO_URL to a MongoDB server.';

/**
 * The folder holding `initdb`, `postgres` and `pg_isready`: on PATH, or Debian's per-version
 * /usr/lib/postgresql/<major>/bin (not on PATH there), newest first.
 */
export function findPostgresBin(): string | undefined {
  const initdb = findCommand('initdb');
  // Through symlinks (e.g. /usr/local/bin/initdb): the folder that holds pg_isready too.
  if (initdb !== undefined) return dirname(realpathSync(initdb));
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const majors = readdirSync(root)
    .filter((name) => /^\d+$/.test(name))
    .sort((a, b) => Number(b) - Number(a));
  return majors.map((major) => join(root, major, 'bin')).find((bin) => existsSync(join(bin, 'initdb')));
}

/** Installs Debian's postgresql when its server binaries are missing and we may (root, apt-get). */
export async function ensurePostgresInstalled({ log = stderrLog }: { log?: Log } = {}): Promise<string> {
  const found = findPostgresBin();
  if (found !== undefined) return found;
  await ensureDebianPackage({
    command: 'initdb',
    pkg: 'postgresql',
    howToProvide: HOW_TO_PROVIDE,
    log,
    isInstalled: () => findPostgresBin() !== undefined,
  });
  const installed = findPostgresBin();
  if (installed === undefined)
    throw new Error(
      `PostgreSQL's server binaries (initdb, postgres) were not found after installing it. ${HOW_TO_PROVIDE}`,
    );
  return installed;
}

/** PostgreSQL refuses to run as root: as root, the server runs as Debian's `postgres` account. */
function serverAccount(): { uid: number; gid: number } | undefined {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
  const entry = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .map((line) => line.split(':'))
    .find((fields) => fields[0] === 'postgres');
  if (!entry)
    throw new Error(
      `PostgreSQL cannot run as root and there is no \`postgres\` account to run it as. ${HOW_TO_PROVIDE}`,
    );
  return { uid: Number(entry[2]), gid: Number(entry[3]) };
}

/** Lets `account` own `dir` and reach it (search permission on its ancestors, nothing more). */
function handOver(dir: string, account: { uid: number; gid: number }): void {
  chownSync(dir, account.uid, account.gid);
  for (let parent = dirname(dir); parent !== dirname(parent); parent = dirname(parent)) {
    const mode = statSync(parent).mode;
    if ((mode & 0o001) === 0) chmodSync(parent, mode | 0o001);
  }
}

export interface PostgresOptions {
  /** Extra server settings (`-c name=value`), e.g. `shared_preload_libraries=pg_stat_statements` to profile. */
  settings?: Record<string, string>;
  /** The cluster's data directory; created with initdb if it holds none yet. */
  dataDir: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** PostgreSQL's `max_connections` (default 100). */
  maxConnections?: number;
  log?: Log;
  startTimeoutMs?: number;
}

export interface RunningPostgres {
  /** `postgres://postgres@127.0.0.1:<port>/postgres` (trust authentication, loopback only). */
  url: string;
  port: number;
  stop(): Promise<void>;
}

/**
 * Starts a private PostgreSQL cluster (its own data directory and port, TCP on 127.0.0.1 only, no
 * Unix socket) as our child. `synchronous_commit=off`: a crash of the cluster itself may lose the
 * last fraction of a second of commits, never consistency; it is the embedded development store.
 */
export async function startPostgres(options: PostgresOptions): Promise<RunningPostgres> {
  const { dataDir, log = stderrLog, startTimeoutMs = 30_000 } = options;
  const bin = await ensurePostgresInstalled({ log });
  const account = serverAccount();
  const asAccount = account ? { uid: account.uid, gid: account.gid } : {};
  const port = options.port === undefined || options.port === 0 ? await freePort() : options.port;

  if (!existsSync(join(dataDir, 'PG_VERSION'))) {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    if (account) handOver(dataDir, account);
    const init = await run(
      join(bin, 'initdb'),
      ['-D', dataDir, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--locale=C'],
      { ...asAccount, timeoutMs: 120_000 },
    );
    if (init.code !== 0) throw new Error(`initdb failed (${init.code ?? init.signal}):\n${init.output.slice(-4000)}`);
  }

  const started = Date.now();
  const daemon = new Daemon(
    'PostgreSQL',
    join(bin, 'postgres'),
    [
      '-D',
      dataDir,
      '-p',
      String(port),
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
      '-c',
      'synchronous_commit=off',
      '-c',
      `max_connections=${options.maxConnections ?? 100}`,
      ...Object.entries(options.settings ?? {}).flatMap(([name, value]) => ['-c', `${name}=${value}`]),
    ],
    asAccount,
  );
  // SIGINT is PostgreSQL's "fast" shutdown: SIGTERM would wait for every client to disconnect.
  const stop = () => daemon.stop(15_000, 'SIGINT');
  const isReady = async () =>
    (await run(join(bin, 'pg_isready'), ['-q', '-h', '127.0.0.1', '-p', String(port)], { timeoutMs: 5_000 })).code ===
    0;
  try {
    await daemon.waitUntil(isReady, {
      timeoutMs: startTimeoutMs,
      intervalMs: 200,
      what: `accept connections on 127.0.0.1:${port}`,
    });
  } catch (error) {
    await stop();
    throw error;
  }
  log(`PostgreSQL up in ${Date.now() - started} ms on 127.0.0.1:${port} (data in ${dataDir}).`);
  return { url: `postgres://postgres@127.0.0.1:${port}/postgres`, port, stop };
}
