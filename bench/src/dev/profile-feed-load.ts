// Development aid: profiles both sides of homeFeed under load on the full seed — the servers'
// Node CPU (`--cpu-prof`), FerretDB's Go CPU (pprof on its debug listener) and the SQL it sends
// (`pg_stat_statements`). Not part of `npm run bench`. Usage:
//   node --import tsx bench/src/dev/profile-feed-load.ts [outDir] [connections] [seconds]
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { freePort } from '@micropost/infra';
import { PROFILES } from '../config.ts';
import { HOME_FEED_QUERY, load } from '../load.ts';
import { say } from '../progress.ts';
import { seed } from '../seed.ts';
import { startStack } from '../stack.ts';

const outDir = resolve(process.argv[2] ?? '/tmp/micropost-feed-profile');
const connections = Number(process.argv[3] ?? 16);
const seconds = Number(process.argv[4] ?? 10);
mkdirSync(outDir, { recursive: true });
const debugPort = await freePort();
const stack = await startStack({
  serverNodeArgs: ['--cpu-prof', `--cpu-prof-dir=${outDir}`],
  ferret: {
    debugAddr: `127.0.0.1:${debugPort}`,
    postgresSettings: { shared_preload_libraries: 'pg_stat_statements', 'pg_stat_statements.track': 'all' },
  },
});
const psql = (sql: string) =>
  execFileSync('psql', [stack.services!.ferret.postgresUrl, '-X', '-q', '-A', '-F', ' | ', '-c', sql], {
    encoding: 'utf8',
  });
try {
  const seeded = await seed(stack, { ...PROFILES.full.seed, searchWaitMs: 1000 });
  psql('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
  const tokens = seeded.readers.map((reader) => reader.token);
  await load({ url: stack.balancerUrl, query: HOME_FEED_QUERY, tokens, connections: 1, seconds: 3 });
  psql('SELECT pg_stat_statements_reset()');
  const goProfile = fetch(`http://127.0.0.1:${debugPort}/debug/pprof/profile?seconds=${seconds}`).then(
    async (response) => Buffer.from(await response.arrayBuffer()),
  );
  const result = await load({ url: stack.balancerUrl, query: HOME_FEED_QUERY, tokens, connections, seconds });
  say(`c=${connections}: ${result.requestsPerSecond} req/s, p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms`);
  writeFileSync(join(outDir, 'ferretdb.pprof'), await goProfile);
  const statements = psql(
    `SELECT calls, round(total_exec_time::numeric, 1) AS total_ms, round(mean_exec_time::numeric, 3) AS mean_ms, rows, ` +
      `round(calls::numeric / ${result.requests}, 2) AS per_request, left(regexp_replace(query, '\\s+', ' ', 'g'), 300) ` +
      `FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT 25`,
  );
  writeFileSync(join(outDir, 'statements.txt'), `${JSON.stringify(result)}\n${statements}`);
  console.log(statements);
} finally {
  await stack.stop();
}
say(`profiles in ${outDir}: CPU-*.cpuprofile (servers), ferretdb.pprof, statements.txt`);
