import { stderrLog, type Log } from './log.ts';
import { run, which } from './process.ts';

const SBIN = '/usr/sbin:/usr/local/sbin:/opt/homebrew/sbin';

/**
 * Makes sure `command` exists (or `isInstalled` holds, for packages whose programs are not on
 * PATH), installing Debian's `pkg` with apt-get when it is missing and we are root on a Debian-like
 * system (saying so); elsewhere throws with `howToProvide`.
 */
export async function ensureDebianPackage({
  command,
  pkg,
  howToProvide,
  log = stderrLog,
  isInstalled = () => findCommand(command) !== undefined,
}: {
  command: string;
  pkg: string;
  howToProvide: string;
  log?: Log;
  isInstalled?: () => boolean;
}): Promise<void> {
  if (isInstalled()) return;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const aptGet = which('apt-get');
  if (!isRoot || aptGet === undefined) {
    throw new Error(
      `${command} is not installed and cannot be installed automatically here (needs root and apt-get). ${howToProvide}`,
    );
  }
  const onLine = (line: string) => {
    if (line.trim() !== '') log(`  apt: ${line}`);
  };
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  log(`${command} is missing: running \`apt-get update\` and \`apt-get install -y ${pkg}\`…`);
  for (const args of [['update'], ['install', '-y', pkg]]) {
    const result = await run(aptGet, args, { onLine, env });
    if (result.code !== 0)
      throw new Error(`\`apt-get ${args.join(' ')}\` failed (${result.code ?? result.signal}). ${howToProvide}`);
  }
  log(`${pkg} installed.`);
}

/** Absolute path of an installed command, looking in the sbin folders too. */
export function findCommand(command: string): string | undefined {
  return which(command) ?? which(command, SBIN);
}
