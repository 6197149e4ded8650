import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MongoClient } from 'mongodb';
import { stderrLog, type Log } from './log.ts';
import { repoRoot } from './paths.ts';
import { freePort } from './ports.ts';
import { startPostgres } from './postgres.ts';
import { Daemon, run, which } from './process.ts';

export const FERRETDB_MODULE = 'github.com/FerretDB/FerretDB';
export const FERRETDB_VERSION = 'v1.24.2';

/** Where the project keeps its own FerretDB build. */
export const ferretdbCacheBin = join(repoRoot, '.cache', 'bin', 'ferretdb');

/**
 * The project's patches to FerretDB (see README, Services): `NNNN-name.patch`, applied in name order
 * with `patch -p1` to the module source. Each adds Go tests named `TestMicropost…`, run by the build.
 */
export const ferretdbPatchesDir = fileURLToPath(new URL('../ferretdb/patches', import.meta.url));

/** Written beside the binary: the version and patches it was built from (a hash). */
const stampFile = `${ferretdbCacheBin}.stamp`;

function patchFiles(): string[] {
  if (!existsSync(ferretdbPatchesDir)) return [];
  return readdirSync(ferretdbPatchesDir)
    .filter((name) => name.endsWith('.patch'))
    .sort()
    .map((name) => join(ferretdbPatchesDir, name));
}

/** What a build of the current patches is stamped with; a binary with another stamp is stale. */
export function ferretdbBuildStamp(): string {
  const hash = createHash('sha256').update(`${FERRETDB_MODULE}@${FERRETDB_VERSION}\n`);
  for (const file of patchFiles()) hash.update(`${file.slice(ferretdbPatchesDir.length)}\n`).update(readFileSync(file));
  return `${FERRETDB_VERSION} ${hash.digest('hex')}`;
}

function isCurrentBuild(): boolean {
  return existsSync(stampFile) && readFileSync(stampFile, 'utf8').trim() === ferretdbBuildStamp();
}

/** A binary is usable if it starts at all: a plain `go install` build panics in its version check. */
async function works(bin: string): Promise<boolean> {
  if (!existsSync(bin)) return false;
  try {
    const result = await run(bin, ['--version'], { timeoutMs: 15_000 });
    return result.code === 0;
  } catch {
    return false;
  }
}

export function findGo(): string | undefined {
  return which('go') ?? (existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : undefined);
}

/**
 * Path of a working ferretdb binary: `FERRETDB_BIN`, else `<repo>/.cache/bin/ferretdb`, else one
 * built now (minutes on a fresh machine; go's output is streamed to `log`).
 */
export async function ensureFerretDB({ log = stderrLog }: { log?: Log } = {}): Promise<string> {
  const fromEnv = process.env.FERRETDB_BIN;
  if (fromEnv !== undefined && fromEnv.trim() !== '') {
    if (await works(fromEnv)) return fromEnv;
    throw new Error(
      `FERRETDB_BIN=${fromEnv} does not run (\`${fromEnv} --version\` failed). Unset it to let the project build its own FerretDB.`,
    );
  }
  // A binary built before the patches changed (or unpatched) is rebuilt.
  if (isCurrentBuild() && (await works(ferretdbCacheBin))) return ferretdbCacheBin;
  await buildFerretDB(log);
  return ferretdbCacheBin;
}

/**
 * Builds FerretDB into .cache/bin. Not with `go install …@v1.24.2`: a binary built that way panics
 * at start-up ("Invalid build/version/version.txt file content") because the module zip lacks the
 * generated build/version/version.txt. So: fetch the module source, copy it somewhere writable,
 * add version.txt, apply the project's patches, run their Go tests, and `go build` it there.
 */
async function buildFerretDB(log: Log): Promise<void> {
  const go = findGo();
  if (go === undefined) {
    throw new Error(
      'FerretDB (the embedded MongoDB-compatible database) must be built, but `go` is not on PATH. ' +
        'Install Go 1.22 or newer (from go.dev or your package manager), or set FERRETDB_BIN to a ferretdb binary, or set MONGO_URL to a MongoDB server.',
    );
  }
  const cacheDir = join(repoRoot, '.cache');
  // Per process: two concurrent builds must not patch one tree twice.
  const srcDir = join(cacheDir, `ferretdb-src-${FERRETDB_VERSION}-${process.pid}`);
  const goLog = (line: string) => {
    if (line.trim() !== '') log(`  go: ${line}`);
  };
  const step = async (args: string[], cwd: string): Promise<string> => {
    const result = await run(go, args, { cwd, onLine: goLog, env: { ...process.env, GOFLAGS: '-buildvcs=false' } });
    if (result.code !== 0)
      throw new Error(
        `Building FerretDB failed: \`go ${args.join(' ')}\` exited with ${result.code ?? result.signal}:\n${result.output.slice(-4000)}`,
      );
    return result.output;
  };

  log(`Building FerretDB ${FERRETDB_VERSION} into ${ferretdbCacheBin} (takes a few minutes the first time)…`);
  mkdirSync(join(cacheDir, 'bin'), { recursive: true });
  await copyFerretDBSource(go, srcDir);

  const stamp = ferretdbBuildStamp();
  try {
    const packages = await applyFerretDBPatches(srcDir, log);
    await testPatches(srcDir, packages, log, step);
    // Build to a temporary name, then rename: a concurrent run never sees a half-written binary.
    const tmpBin = `${ferretdbCacheBin}.${process.pid}.tmp`;
    await step(['build', '-v', '-o', tmpBin, './cmd/ferretdb'], srcDir);
    renameSync(tmpBin, ferretdbCacheBin);
  } finally {
    rmSync(srcDir, { recursive: true, force: true });
  }
  if (!(await works(ferretdbCacheBin)))
    throw new Error(`The FerretDB binary built at ${ferretdbCacheBin} does not run.`);
  writeFileSync(stampFile, `${stamp}\n`);
  log(`FerretDB ${FERRETDB_VERSION} built with ${patchFiles().length} patches.`);
}

/**
 * Copies the FerretDB module source (fetched with `go mod download`) to `srcDir`, writable, with
 * the build/version/version.txt its module zip lacks.
 */
export async function copyFerretDBSource(go: string, srcDir: string): Promise<void> {
  // -json prints only the JSON document on stdout; progress goes to stderr.
  const downloaded = await run(go, ['mod', 'download', '-json', `${FERRETDB_MODULE}@${FERRETDB_VERSION}`], {
    cwd: dirname(srcDir),
  });
  const moduleDir = (() => {
    try {
      return (JSON.parse(downloaded.output.slice(downloaded.output.indexOf('{'))) as { Dir?: string; Error?: string })
        .Dir;
    } catch {
      return undefined;
    }
  })();
  if (downloaded.code !== 0 || moduleDir === undefined)
    throw new Error(`Downloading FerretDB source failed:\n${downloaded.output.slice(-4000)}`);

  rmSync(srcDir, { recursive: true, force: true });
  // The module cache is read-only; `cp -R` + `chmod` keeps this quick and portable to macOS.
  for (const [cmd, args] of [
    ['cp', ['-R', moduleDir, srcDir]],
    ['chmod', ['-R', 'u+w', srcDir]],
  ] as const) {
    const result = await run(cmd, args);
    if (result.code !== 0) throw new Error(`${cmd} failed while preparing FerretDB source: ${result.output}`);
  }
  writeFileSync(join(srcDir, 'build', 'version', 'version.txt'), `${FERRETDB_VERSION}\n`);
}

/**
 * Applies the patches in order to the writable source tree; throws naming the first that does not
 * apply. Returns the Go packages (`./dir`) where they add tests (`TestMicropost…`), which the build runs.
 */
export async function applyFerretDBPatches(srcDir: string, log: Log = stderrLog): Promise<string[]> {
  if (patchFiles().length > 0 && which('patch') === undefined) {
    throw new Error(
      "Building FerretDB needs `patch` (Debian/Ubuntu: `apt-get install -y patch`) to apply the project's patches.",
    );
  }
  const packages = new Set<string>();
  for (const file of patchFiles()) {
    const name = file.slice(ferretdbPatchesDir.length + 1);
    // --forward --batch: fail instead of asking or reversing an already-applied patch.
    const args = ['-p1', '--forward', '--batch', '--no-backup-if-mismatch', '-i', file];
    const result = await run('patch', args, { cwd: srcDir, timeoutMs: 60_000 });
    if (result.code !== 0) {
      throw new Error(
        `FerretDB patch ${name} does not apply to ${FERRETDB_MODULE}@${FERRETDB_VERSION}:\n${result.output}`,
      );
    }
    for (const match of readFileSync(file, 'utf8').matchAll(/^\+\+\+ b\/(\S+_test\.go)/gm)) {
      packages.add(`./${dirname(match[1]!)}`);
    }
    log(`  patched: ${name}`);
  }
  return [...packages].sort();
}

/** Runs the patches' own Go tests (`TestMicropost…`) in the packages they touch; a failure stops the build. */
async function testPatches(
  srcDir: string,
  packages: string[],
  log: Log,
  step: (args: string[], cwd: string) => Promise<string>,
): Promise<void> {
  if (packages.length === 0) return;
  log(`  testing the patches: go test -run '^TestMicropost' ${packages.join(' ')}`);
  await step(['test', '-count=1', '-run', '^TestMicropost', ...packages], srcDir);
}

/**
 * FerretDB's pool of PostgreSQL connections (the cluster allows a few more, for psql). It was 200 to
 * absorb stock FerretDB holding a connection per statement of a batched update until the command
 * ended; patched, a command holds at most two (its read and its write), so 100 covers ~50 commands
 * in flight, more than 2 cores can run side by side, at half the backends' memory.
 */
const BACKEND_CONNECTIONS = 100;

/** Go's GC target for the FerretDB process (see startFerretDB). */
const FERRETDB_GOGC = '400';

export interface FerretDBOptions {
  /** The PostgreSQL cluster (`postgres/`) and FerretDB's state live here; created if missing. */
  dataDir: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Defaults to ensureFerretDB(). */
  bin?: string;
  log?: Log;
  /** Deadline for the first successful ping. */
  startTimeoutMs?: number;
  /** Its metrics and Go pprof HTTP listener (`host:port`); off by default. Profiling aid. */
  debugAddr?: string;
  /** Extra settings of its PostgreSQL cluster (see startPostgres). */
  postgresSettings?: Record<string, string>;
}

export interface RunningFerretDB {
  /** `mongodb://127.0.0.1:<port>/` */
  url: string;
  port: number;
  /** Its PostgreSQL (`postgres://…/postgres`): tests read `pg_stat_user_tables` there. */
  postgresUrl: string;
  stop(): Promise<void>;
  /** Fault injection: SIGKILLs FerretDB (PostgreSQL stays up). */
  kill(): Promise<void>;
  /** Starts FerretDB again on the same port and backend, after kill(). */
  restart(): Promise<void>;
  /** Fault injection: stops the PostgreSQL backend (fast shutdown) while FerretDB stays up. */
  stopBackend(): Promise<void>;
  /** Starts the backend again on the same port and data, after stopBackend(). */
  startBackend(): Promise<void>;
}

/**
 * Starts FerretDB on its main backend, a private PostgreSQL cluster, and resolves once it answers a
 * MongoDB `ping`. Not on SQLite: FerretDB 1.24's SQLite backend pushes no filter but `_id` equality
 * down (every other query decodes the whole collection in Go: a home timeline read took 734 ms at
 * 20,000 entries, against 13 ms on PostgreSQL) and its updates by `_id` scan too (96 ms vs 15 ms).
 */
export async function startFerretDB(options: FerretDBOptions): Promise<RunningFerretDB> {
  const { dataDir, log = stderrLog, startTimeoutMs = 30_000 } = options;
  const bin = options.bin ?? (await ensureFerretDB({ log }));
  const port = options.port === undefined || options.port === 0 ? await freePort() : options.port;
  const dir = dataDir.replace(/\/$/, '');
  const stateDir = join(dir, 'ferretdb');
  mkdirSync(stateDir, { recursive: true });
  const startBackend = (port?: number) =>
    startPostgres({
      dataDir: join(dir, 'postgres'),
      maxConnections: BACKEND_CONNECTIONS + 20,
      ...(options.postgresSettings ? { settings: options.postgresSettings } : {}),
      log,
      startTimeoutMs,
      ...(port === undefined ? {} : { port }),
    });
  let postgres = await startBackend();

  const args = [
    '--handler=postgresql',
    `--postgresql-url=${postgres.url}?pool_max_conns=${BACKEND_CONNECTIONS}`,
    `--listen-addr=127.0.0.1:${port}`,
    '--telemetry=disable',
    `--state-dir=${stateDir}`,
    '--log-level=warn',
    // Its metrics/pprof HTTP listener defaults to 127.0.0.1:8088, which would clash between instances.
    `--debug-addr=${options.debugAddr ?? '-'}`,
  ];
  // GOGC 400 instead of Go's 100: FerretDB decodes every document it reads from JSON into short-lived
  // objects, and under homeFeed load about a third of its CPU went to the garbage collector. Its
  // live heap is tens of MiB, so letting the heap grow to 5× that (not 2×) costs little memory.
  const env = { ...process.env, GOGC: FERRETDB_GOGC };
  const started = Date.now();
  const url = `mongodb://127.0.0.1:${port}/`;
  const launch = async () => {
    const launched = new Daemon('FerretDB', bin, args, { env });
    await launched.waitUntil(() => ping(url), { timeoutMs: startTimeoutMs, what: `answer a ping on ${url}` });
    return launched;
  };
  let daemon = new Daemon('FerretDB', bin, args, { env });
  const stop = async () => {
    await daemon.stop(10_000);
    await postgres.stop();
  };
  try {
    await daemon.waitUntil(() => ping(url), { timeoutMs: startTimeoutMs, what: `answer a ping on ${url}` });
  } catch (error) {
    await stop();
    throw error;
  }
  log(`FerretDB up in ${Date.now() - started} ms on ${url} (data in ${dir}).`);
  return {
    url,
    port,
    postgresUrl: postgres.url,
    stop,
    kill: () => daemon.stop(0, 'SIGKILL'),
    restart: async () => {
      daemon = await launch();
    },
    stopBackend: () => postgres.stop(),
    startBackend: async () => {
      postgres = await startBackend(postgres.port);
    },
  };
}

async function ping(url: string): Promise<boolean> {
  const client = new MongoClient(url, {
    directConnection: true,
    serverSelectionTimeoutMS: 1000,
    connectTimeoutMS: 1000,
  });
  try {
    await client.db('admin').command({ ping: 1 });
    return true;
  } catch {
    return false;
  } finally {
    await client.close().catch(() => undefined);
  }
}
