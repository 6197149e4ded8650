import { stderrLog, type Log } from './log.ts';
import { delimiter } from 'node:path';
import { run, which } from './process.ts';

const SBIN = '/usr/sbin:/usr/local/sbin:/opt/homebrew/sbin';

/** What installing needs to know about the machine; tests pass a simulated one. */
export interface Machine {
  /** Where commands are looked up (PATH plus the sbin folders by default). */
  readonly path: string;
  readonly isRoot: boolean;
}

export const thisMachine = (): Machine => ({
  path: [process.env.PATH ?? '', SBIN].filter((part) => part !== '').join(delimiter),
  isRoot: typeof process.getuid === 'function' && process.getuid() === 0,
});

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
  machine = thisMachine(),
  isInstalled = () => which(command, machine.path) !== undefined,
}: {
  command: string;
  pkg: string;
  howToProvide: string;
  log?: Log;
  machine?: Machine;
  isInstalled?: () => boolean;
}): Promise<void> {
  if (isInstalled()) return;
  const aptGet = which('apt-get', machine.path);
  if (!machine.isRoot || aptGet === undefined) {
    throw new Error(
      `${command} is not installed and cannot be installed automatically here (needs root and apt-get). ${howToProvide}`,
    );
  }
  const onLine = (line: string) => {
    if (line.trim() !== '') log(`  apt: ${line}`);
  };
  const env = { ...process.env, PATH: machine.path, DEBIAN_FRONTEND: 'noninteractive' };
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
  return which(command, thisMachine().path);
}
