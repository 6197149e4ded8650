// Development aid: a CPU profile of one gateway of the isolation scenario under load, then its top
// frames. `node --import tsx bench/src/dev/profile-router.ts [ours|stock|hive|oursColocated] [seconds]`.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { routerIsolation } from '../scenarios/router.ts';

const gateway = process.argv[2] ?? 'ours';
const dir = mkdtempSync(join(tmpdir(), 'micropost-router-profile-'));
process.env.BENCH_ROUTER_CPU_PROF = gateway;
process.env.BENCH_ROUTER_CPU_PROF_DIR = dir;
await routerIsolation({ connections: [64], seconds: Number(process.argv[3] ?? 10), rounds: 1, overheadRequests: 20 });
const file = join(dir, readdirSync(dir).find((name) => name.endsWith('.cpuprofile'))!);
process.stdout.write(`${file}\n`);
execFileSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'cpuprofile-top.ts'), file], {
  stdio: 'inherit',
});
