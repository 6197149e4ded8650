// `npm start`: installs what is missing, then hands over to scripts/launch.ts (which needs tsx,
// hence this plain-Node front door).
import { spawn } from 'node:child_process';
import { buildWebIfStale } from './build-web.mjs';
import { ensureDeps, root } from './ensure-deps.mjs';

ensureDeps();
buildWebIfStale();
console.log('• launching Micropost');
// `node --import tsx` rather than `npx tsx`: one process fewer between the terminal and launch.ts.
const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/launch.ts'], { cwd: root, stdio: 'inherit' });
// Ctrl-C reaches launch.ts directly (same process group); it shuts everything down in order.
// Ignore it here and exit only when launch.ts has finished; forward a SIGTERM sent to us alone.
process.on('SIGINT', () => {});
process.on('SIGTERM', () => child.kill('SIGTERM'));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
