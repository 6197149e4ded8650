// Development aid: CPU that FerretDB burns while the whole system is idle (no requests), and the
// latency of sequential homeFeed reads, with the outbox relay's idle poll fixed at 1 s (the old
// behaviour, OUTBOX_MAX_POLL_MS=1000) and with the default backoff, on one seeded data set.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { HOME_FEED_QUERY, gql, load } from '../load.ts';
import { seed } from '../seed.ts';
import { sleep } from '../progress.ts';
import { SERVER_ENTRY, startNodeProcess, startStack } from '../stack.ts';

const cpuSeconds = (pid: number) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
};
const stack = await startStack();
try {
  const seeded = await seed(stack, {
    users: 1100,
    bigAuthorFollowers: 0,
    midAuthorFollowers: 0,
    followsPerUser: 0,
    posts: 300,
    searchWaitMs: 3_000,
    drainTimeoutMs: 400_000,
  });
  const mongoPort = new URL(stack.env.MONGO_URL!).port;
  const ferret = Number(
    execFileSync('pgrep', ['-f', `listen-addr=127.0.0.1:${mongoPort}`], { encoding: 'utf8' })
      .trim()
      .split('\n')[0],
  );
  await stack.a.stop();
  await stack.b.stop();
  for (const maxPoll of ['1000', '8000']) {
    const env = { ...stack.env, OUTBOX_MAX_POLL_MS: maxPoll };
    const a = await startNodeProcess('a', SERVER_ENTRY, env);
    const b = await startNodeProcess('b', SERVER_ENTRY, env);
    await sleep(20_000); // past the backoff's ramp (1+2+4+8 s)
    const before = cpuSeconds(ferret);
    await sleep(20_000);
    const idle = (100 * (cpuSeconds(ferret) - before)) / 30;
    const token = seeded.readers[0]!.token;
    const times: number[] = [];
    for (let i = 0; i < 30; i++) {
      const t = performance.now();
      await gql(a.url, HOME_FEED_QUERY, {}, token);
      times.push(performance.now() - t);
    }
    times.sort((x, y) => x - y);
    const loaded = await load({
      url: a.url,
      query: HOME_FEED_QUERY,
      tokens: seeded.readers.map((r) => r.token),
      connections: 8,
      seconds: 10,
    });
    console.log(
      `OUTBOX_MAX_POLL_MS=${maxPoll}: FerretDB idle ${idle.toFixed(1)}% of a core; sequential homeFeed median ${times[15]!.toFixed(0)} ms, p90 ${times[27]!.toFixed(0)} ms; ` +
        `c=8 ${loaded.requestsPerSecond} req/s p50 ${loaded.p50Ms} p99 ${loaded.p99Ms} errors ${loaded.errors}`,
    );
    await a.stop();
    await b.stop();
  }
} finally {
  await stack.stop();
}
