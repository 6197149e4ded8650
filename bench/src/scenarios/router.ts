import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AccessTokens, IDENTITY_HEADER, IdentitySigner, generateIdentityKeys, generateSecret } from '@micropost/auth';
import { SERVED_SUBGRAPHS } from '../../../subgraphs/registry.ts';
import { load, type LoadResult } from '../load.ts';
import { percentile, say } from '../progress.ts';
import { ROUTER_OPERATIONS, mockUserId } from '../router/mock-subgraphs.ts';
import { RECORDING_HEADER, type RecordedFetch } from '../router/serve-mock.ts';
import { startNodeProcess, type NodeProcess } from '../stack.ts';
import { GATEWAY_DESCRIPTIONS, GATEWAY_ENTRIES, answers, median, ratio, writeSupergraph } from './gateways.ts';

export type RouterGateway = 'ours' | 'stock' | 'hive' | 'oursColocated';
const GATEWAYS: RouterGateway[] = ['ours', 'stock', 'hive', 'oursColocated'];
const ENTRIES: Record<RouterGateway, string> = {
  ...GATEWAY_ENTRIES,
  oursColocated: 'bench/src/gateways/ours-colocated.ts',
};
const DESCRIPTIONS: Record<RouterGateway, string> = {
  ...GATEWAY_DESCRIPTIONS,
  ours: 'our router as deployed (token check, signed identity, operation and rate limits, live service), subgraphs over HTTP',
  oursColocated:
    'our router with the five subgraphs in its own process, called in-process (IN_PROCESS_SUBGRAPHS=all, as `npm start`)',
};

export interface RouterConfig {
  connections: number[];
  seconds: number;
  rounds: number;
  /** Sequential requests (one connection) per gateway and operation for the overhead's p50. */
  overheadRequests: number;
}

export interface RouterLoadStats {
  name: RouterGateway;
  runs: (LoadResult & { cpuMsPerRequest: number })[];
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  cpuMsPerRequest: number;
  errors: number;
}

export interface RouterOverhead {
  operation: string;
  /** The subgraph fetches the gateway made for it, replayed directly one after the other. */
  fetches: string[];
  directP50Ms: number;
  gateways: Record<RouterGateway, { p50Ms: number; overhead: number }>;
}

export interface RouterResult {
  operations: string[];
  seconds: number;
  rounds: number;
  descriptions: Record<RouterGateway, string>;
  identicalResponses: boolean;
  load: { connections: number; gateways: RouterLoadStats[] }[];
  overhead: RouterOverhead[];
  peakRssMiB: Record<RouterGateway, number>;
  idleRssMiB: Record<RouterGateway, number>;
  /** The issue's targets, at the highest connection count. */
  targets: { name: string; value: number; target: string; met: boolean }[];
}

const CLOCK_TICK_MS = (() => {
  try {
    return 1000 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
  } catch {
    return 10;
  }
})();
/** CPU time (user + system) a process has used so far, from /proc. */
function cpuMsOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * CLOCK_TICK_MS;
}

/** One keep-alive connection, as a client that reuses its connection would. */
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
function post(url: string, body: string, headers: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      url,
      { method: 'POST', agent, headers: { 'content-type': 'application/json', ...headers } },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}
async function p50Of(requests: number, once: () => Promise<void>): Promise<number> {
  for (let i = 0; i < Math.min(20, requests); i++) await once(); // warm-up
  const times: number[] = [];
  for (let i = 0; i < requests; i++) {
    const t0 = performance.now();
    await once();
    times.push(performance.now() - t0);
  }
  times.sort((x, y) => x - y);
  return Math.round(percentile(times, 50) * 1000) / 1000;
}

/**
 * The router alone: the five served subgraphs answering from memory (real schemas), each in its own
 * process; four gateways in front of them; the same operations and closed-loop load against each,
 * alternating in rounds. Needs no database or broker.
 */
export async function routerIsolation(config: RouterConfig): Promise<RouterResult> {
  const started: NodeProcess[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'micropost-bench-router-'));
  try {
    const keys = generateIdentityKeys();
    const secret = generateSecret();
    const baseEnv: Record<string, string> = {
      JWT_SECRET: secret,
      INTERNAL_PRIVATE_KEY: keys.privateKey,
      INTERNAL_PUBLIC_KEY: keys.publicKey,
      LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'error',
      RATE_LIMIT_REQUESTS_PER_MINUTE: '100000000',
      RATE_LIMIT_WRITES_PER_MINUTE: '100000000',
      RATE_LIMIT_REGISTRATIONS_PER_HOUR: '100000000',
      RATE_LIMIT_WS_CONNECTIONS_PER_MINUTE: '100000000',
    };
    say('router: starting the in-memory subgraphs, one process each…');
    const subgraphs = await Promise.all(
      SERVED_SUBGRAPHS.map(({ name }) =>
        startNodeProcess(`mock-${name}`, 'bench/src/gateways/mock-subgraph.ts', { ...baseEnv, MOCK_SUBGRAPH: name }),
      ),
    );
    started.push(...subgraphs);
    const urls = Object.fromEntries(subgraphs.map((process, i) => [SERVED_SUBGRAPHS[i]!.name, process.url]));
    const file = writeSupergraph(dir, urls);
    const env = {
      ...baseEnv,
      ...Object.fromEntries(Object.entries(urls).map(([name, url]) => [`${name.toUpperCase()}_SUBGRAPH_URL`, url])),
      SUPERGRAPH_FILE: file,
      APOLLO_TELEMETRY_DISABLED: 'true',
      NODE_ENV: 'production',
    };
    const gateways = {} as Record<RouterGateway, NodeProcess>;
    for (const name of GATEWAYS) {
      gateways[name] = await startNodeProcess(`gateway-${name}`, ENTRIES[name], env, {
        ready: answers,
        nodeArgs:
          process.env.BENCH_ROUTER_CPU_PROF === name
            ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_ROUTER_CPU_PROF_DIR ?? tmpdir()}`]
            : [],
      });
      started.push(gateways[name]);
    }
    const idleRssMiB = Object.fromEntries(
      GATEWAYS.map((name) => [name, Math.round(gateways[name].memory().rssMiB)]),
    ) as Record<RouterGateway, number>;
    say(`router: gateways up (${GATEWAYS.map((name) => `${name} ${gateways[name].port}`).join(', ')})`);

    const accessTokens = new AccessTokens(secret, 3600);
    const tokens = await Promise.all(Array.from({ length: 64 }, (_, i) => accessTokens.issue(mockUserId(i * 31))));
    const bearer = { authorization: `Bearer ${tokens[0]}` };

    // The same answers from every gateway, or the comparison means nothing.
    let identicalResponses = true;
    for (const operation of ROUTER_OPERATIONS) {
      const body = JSON.stringify({ query: operation.query, variables: operation.variables });
      const bodies = await Promise.all(GATEWAYS.map((name) => post(gateways[name].url, body, bearer)));
      const parsed = bodies.map((text) => JSON.parse(text) as { data?: unknown; errors?: unknown });
      if (parsed.some((answer) => answer.errors || !answer.data)) {
        say(`router: WARNING errors for ${operation.name}: ${bodies.map((text) => text.slice(0, 200)).join(' | ')}`);
        identicalResponses = false;
      }
      if (!parsed.every((answer) => JSON.stringify(answer) === JSON.stringify(parsed[0]))) {
        say(`router: WARNING the gateways answered ${operation.name} differently`);
        identicalResponses = false;
      }
    }

    // Router overhead: one connection, one request at a time, through each gateway and directly.
    // Forwarded identities live 60 s: signed afresh for each operation's recording and replay.
    const signer = new IdentitySigner(keys.privateKey);
    let identity = '';
    const overhead: RouterOverhead[] = [];
    for (const operation of ROUTER_OPERATIONS) {
      identity = await signer.sign({ userId: mockUserId(0) });
      const control = (value: string) =>
        Promise.all(
          subgraphs.map((subgraph) =>
            post(subgraph.url, '{"query":"{ __typename }"}', {
              [RECORDING_HEADER]: value,
              [IDENTITY_HEADER]: identity,
            }),
          ),
        );
      await control('start');
      const body = JSON.stringify({ query: operation.query, variables: operation.variables });
      await post(gateways.ours.url, body, bearer);
      const fetches = (await control('stop'))
        .flatMap((text) => (JSON.parse(text) as { extensions: { recorded: RecordedFetch[] } }).extensions.recorded)
        .sort((x, y) => x.at - y.at);
      const direct = fetches.map((fetch) => ({ url: urls[fetch.subgraph]!, body: JSON.stringify(fetch.body) }));
      identity = await signer.sign({ userId: mockUserId(0) });
      const directP50Ms = await p50Of(config.overheadRequests, async () => {
        for (const fetch of direct) await post(fetch.url, fetch.body, { [IDENTITY_HEADER]: identity });
      });
      const through = {} as RouterOverhead['gateways'];
      for (const name of GATEWAYS) {
        const p50Ms = await p50Of(
          config.overheadRequests,
          async () => void (await post(gateways[name].url, body, bearer)),
        );
        through[name] = { p50Ms, overhead: ratio(p50Ms, directP50Ms) };
      }
      overhead.push({
        operation: operation.name,
        fetches: fetches.map((fetch) => fetch.subgraph),
        directP50Ms,
        gateways: through,
      });
      say(
        `router overhead ${operation.name} (${fetches.map((fetch) => fetch.subgraph).join(' → ')}): direct p50 ${directP50Ms} ms; ` +
          GATEWAYS.map((name) => `${name} ${through[name].p50Ms} ms (${through[name].overhead}×)`).join(', '),
      );
    }

    const loadResults: RouterResult['load'] = [];
    const operations = ROUTER_OPERATIONS.map(({ query, variables }) => ({ query, variables }));
    for (const connections of config.connections) {
      for (const name of GATEWAYS)
        await load({ url: gateways[name].url, query: '', operations, tokens, connections, seconds: 1 });
      const runs = Object.fromEntries(GATEWAYS.map((name) => [name, []])) as unknown as Record<
        RouterGateway,
        RouterLoadStats['runs']
      >;
      for (let round = 0; round < config.rounds; round++) {
        const order = [...GATEWAYS.slice(round % 4), ...GATEWAYS.slice(0, round % 4)];
        for (const name of order) {
          const cpu0 = cpuMsOf(gateways[name].pid);
          const result = await load({
            url: gateways[name].url,
            query: '',
            operations,
            tokens,
            connections,
            seconds: config.seconds,
            timeoutSeconds: 30,
          });
          const cpuMsPerRequest =
            Math.round(((cpuMsOf(gateways[name].pid) - cpu0) / Math.max(result.requests, 1)) * 1000) / 1000;
          runs[name].push({ ...result, cpuMsPerRequest });
          say(
            `router ${connections} conns, round ${round + 1}, ${name.padEnd(13)}: ${result.requestsPerSecond} req/s, p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms, CPU ${cpuMsPerRequest} ms/req, errors ${result.errors}${result.firstError ? ` (first: ${result.firstError.slice(0, 160)})` : ''}`,
          );
        }
      }
      loadResults.push({
        connections,
        gateways: GATEWAYS.map((name) => ({
          name,
          runs: runs[name],
          requestsPerSecond: median(runs[name].map((run) => run.requestsPerSecond)),
          p50Ms: median(runs[name].map((run) => run.p50Ms)),
          p99Ms: median(runs[name].map((run) => run.p99Ms)),
          cpuMsPerRequest: median(runs[name].map((run) => run.cpuMsPerRequest)),
          errors: runs[name].reduce((sum, run) => sum + run.errors, 0),
        })),
      });
    }
    const peakRssMiB = Object.fromEntries(
      GATEWAYS.map((name) => [name, Math.round(gateways[name].memory().peakMiB)]),
    ) as Record<RouterGateway, number>;

    const top = loadResults[loadResults.length - 1]!;
    const rps = (name: RouterGateway) => top.gateways.find((stat) => stat.name === name)!.requestsPerSecond;
    const homeFeed = overhead[0]!.gateways.oursColocated.overhead;
    const targets: RouterResult['targets'] = [
      {
        name: `ours over HTTP ÷ stock, requests/s at ${top.connections} connections`,
        value: ratio(rps('ours'), rps('stock')),
        target: '≥ 1.5',
        met: rps('ours') / rps('stock') >= 1.5,
      },
      {
        name: `ours over HTTP ÷ Hive Gateway, requests/s at ${top.connections} connections`,
        value: ratio(rps('ours'), rps('hive')),
        target: '≥ 1.0',
        met: rps('ours') >= rps('hive'),
      },
      {
        name: `ours co-located ÷ stock, requests/s at ${top.connections} connections`,
        value: ratio(rps('oursColocated'), rps('stock')),
        target: '≥ 3',
        met: rps('oursColocated') / rps('stock') >= 3,
      },
      {
        name: 'router overhead, ours co-located, homeFeed p50 ÷ direct fetches',
        value: homeFeed,
        target: '≤ 1.3',
        met: homeFeed <= 1.3,
      },
      {
        name: 'peak RSS, ours over HTTP ÷ stock',
        value: ratio(peakRssMiB.ours, peakRssMiB.stock),
        target: '≤ 1.2',
        met: peakRssMiB.ours / peakRssMiB.stock <= 1.2,
      },
      {
        name: 'peak RSS, ours co-located (with the subgraphs) ÷ stock',
        value: ratio(peakRssMiB.oursColocated, peakRssMiB.stock),
        target: '≤ 1.2',
        met: peakRssMiB.oursColocated / peakRssMiB.stock <= 1.2,
      },
    ];
    for (const target of targets)
      say(`router target: ${target.name} = ${target.value} (${target.target}) ${target.met ? 'met' : 'NOT met'}`);
    return {
      operations: ROUTER_OPERATIONS.map((operation) => operation.name),
      seconds: config.seconds,
      rounds: config.rounds,
      descriptions: DESCRIPTIONS,
      identicalResponses,
      load: loadResults,
      overhead,
      peakRssMiB,
      idleRssMiB,
      targets,
    };
  } finally {
    agent.destroy();
    for (const process of started.reverse()) await process.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
