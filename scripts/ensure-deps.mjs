// Shared by test.mjs and start.mjs, which run before dependencies exist: plain Node, no imports
// beyond node:*.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Runs a command with inherited stdio (from the repo root unless `cwd`); returns its exit status. */
export function run(command, args, env = {}, cwd = root) {
  const result = spawnSync(command, args, { cwd, stdio: 'inherit', env: { ...process.env, ...env } });
  if (result.error) {
    console.error(`Could not run ${command}: ${result.error.message}`);
    return 1;
  }
  return result.status ?? 1;
}

/**
 * Runs `npm ci` when node_modules is missing or older than package-lock.json. npm records each
 * install in node_modules/.package-lock.json, so its mtime is the time of the last install.
 */
export function ensureDeps() {
  const lock = join(root, 'package-lock.json');
  const marker = join(root, 'node_modules', '.package-lock.json');
  const installed = existsSync(marker) ? marker : join(root, 'node_modules');
  let reason;
  if (!existsSync(installed)) reason = 'node_modules is missing';
  else if (statSync(installed).mtimeMs < statSync(lock).mtimeMs)
    reason = 'package-lock.json is newer than node_modules';
  if (reason === undefined) {
    console.log('• dependencies: up to date');
    return;
  }
  console.log(`• dependencies: ${reason}, running npm ci`);
  const status = run('npm', ['ci', '--no-audit', '--no-fund']);
  if (status !== 0) {
    console.error(`npm ci failed (exit ${status})`);
    process.exit(status);
  }
}
