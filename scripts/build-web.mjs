// Builds the web client (web/ → web/dist, served by every router at `/`) when its sources are newer
// than the last build. Plain Node, like start.mjs and test.mjs which call it.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { root, run } from './ensure-deps.mjs';

const web = join(root, 'web');

function newestMtime(path) {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(path).map((name) => newestMtime(join(path, name))));
}

export function buildWebIfStale() {
  const built = join(web, 'dist', 'index.html');
  const sources = ['src', 'index.html', 'vite.config.ts', 'package.json'].map((name) => join(web, name));
  const newest = Math.max(...sources.map(newestMtime), newestMtime(join(root, 'package-lock.json')));
  if (existsSync(built) && statSync(built).mtimeMs >= newest) {
    console.log('• web client: up to date');
    return;
  }
  console.log('• web client: building (vite)');
  // Always a production build, also when started from a test run (vitest sets NODE_ENV=test).
  const status = run('npx', ['vite', 'build', '--logLevel', 'warn'], { NODE_ENV: 'production' }, web);
  if (status !== 0) {
    console.error(`✗ web client build failed (exit ${status})`);
    process.exit(status);
  }
}
