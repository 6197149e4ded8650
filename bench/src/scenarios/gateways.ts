import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '@micropost/infra';
import { HOME_FEED_QUERY, gql, load, type LoadResult } from '../load.ts';
import { say } from '../progress.ts';
import type { SeedResult } from '../seed.ts';
import { startNodeProcess, type NodeProcess, type Stack } from '../stack.ts';

export type GatewayName = 'ours' | 'stock' | 'hive';

export interface GatewayStats {
  name: GatewayName;
  description: string;
  runs: LoadResult[];
  /** Medians over the rounds. */
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  /** Peak resident set (VmHWM) of the gateway's own process over the whole scenario. */
  peakRssMiB: number;
  idleRssMiB: number;
}

export interface GatewaysResult {
  connections: number;
  seconds: number;
  rounds: number;
  gateways: GatewayStats[];
  /** ours ÷ peer: > 1 means ours is higher (better for throughput, worse for p99 and memory). */
  ratios: Record<'stock' | 'hive', { throughput: number; p99: number; peakRss: number }>;
  identicalResponses: boolean;
}

export const GATEWAY_DESCRIPTIONS: Record<GatewayName, string> = {
  ours: 'our router: @apollo/gateway 2.14.4 on Apollo Server 5 (node:http), token check + signed identity, live service',
  stock: 'stock @apollo/gateway 2.14.4 + @apollo/server 5.5.1 startStandaloneServer defaults, same identity forwarding',
  hive: 'Hive Gateway 2.15.1 (createGatewayRuntime on node:http), same identity forwarding, no usage reporting',
};

export const GATEWAY_ENTRIES: Record<GatewayName, string> = {
  ours: 'bench/src/gateways/ours.ts',
  stock: 'bench/src/gateways/stock.ts',
  hive: 'bench/src/gateways/hive.ts',
};

export const median = (values: number[]) => {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted.length === 0 ? Number.NaN : sorted[Math.floor((sorted.length - 1) / 2)]!;
};
export const ratio = (x: number, y: number) => Math.round((x / y) * 100) / 100;

/** schema/supergraph.graphql with the given subgraph URLs, written into `dir`; returns the file. */
export function writeSupergraph(dir: string, urls: Record<string, string>): string {
  const supergraph = readFileSync(join(repoRoot, 'schema', 'supergraph.graphql'), 'utf8').replace(
    /@join__graph\(name: "(\w+)", url: "([^"]*)"\)/g,
    (whole, name: string) => (urls[name] ? `@join__graph(name: "${name}", url: "${urls[name]}")` : whole),
  );
  const file = join(dir, 'supergraph.graphql');
  writeFileSync(file, supergraph);
  return file;
}

/** A POST of `{ __typename }` answers 200: the gateway has loaded its supergraph. */
export const answers = async (port: number) => {
  const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"query":"{ __typename }"}',
    signal: AbortSignal.timeout(2000),
  });
  return response.ok && ((await response.json()) as { data?: unknown }).data !== undefined;
};

/**
 * Scenario 2: one process with every subgraph (no router), and three gateways, each in a process of
 * its own, over the same supergraph (schema/supergraph.graphql with this run's subgraph URLs): the
 * same homeFeed query and load against each, alternating in rounds (order rotated each round).
 */
export async function gatewaysSideBySide(
  stack: Stack,
  seeded: SeedResult,
  config: { connections: number; seconds: number; rounds: number },
): Promise<GatewaysResult> {
  const started: NodeProcess[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'micropost-bench-supergraph-'));
  try {
    say('gateways: starting the subgraph host…');
    const host = await startNodeProcess('subgraph-host', 'bench/src/gateways/subgraph-host.ts', stack.env);
    started.push(host);
    const urls = (await (await fetch(`http://127.0.0.1:${host.port}/health`)).json()) as Record<string, string>;
    const file = writeSupergraph(dir, urls);
    const urlEnv = Object.fromEntries(
      Object.entries(urls).map(([name, url]) => [`${name.toUpperCase()}_SUBGRAPH_URL`, url]),
    );
    const env = {
      ...stack.env,
      ...urlEnv,
      SUPERGRAPH_FILE: file,
      APOLLO_TELEMETRY_DISABLED: 'true',
      NODE_ENV: 'production',
    };

    const gateways = {} as Record<GatewayName, NodeProcess>;
    for (const name of ['ours', 'stock', 'hive'] as const) {
      gateways[name] = await startNodeProcess(`gateway-${name}`, GATEWAY_ENTRIES[name], env, { ready: answers });
      started.push(gateways[name]);
    }
    const idle = Object.fromEntries(
      Object.entries(gateways).map(([name, gateway]) => [name, gateway.memory().rssMiB]),
    ) as Record<GatewayName, number>;
    say(`gateways up: ours ${gateways.ours.port}, stock ${gateways.stock.port}, hive ${gateways.hive.port}`);

    // Same answer from all three (one reader), or the comparison means nothing.
    const token = seeded.readers[0]!.token;
    const answersOf = await Promise.all(
      (['ours', 'stock', 'hive'] as const).map((name) => gql(gateways[name].url, HOME_FEED_QUERY, {}, token)),
    );
    const identicalResponses = answersOf.every((answer) => JSON.stringify(answer) === JSON.stringify(answersOf[0]));
    if (!identicalResponses) say('gateways: WARNING the three gateways answered differently');

    const tokens = seeded.readers.map((reader) => reader.token);
    const runs: Record<GatewayName, LoadResult[]> = { ours: [], stock: [], hive: [] };
    const order: GatewayName[] = ['stock', 'hive', 'ours'];
    // Warm-up: JIT and query-plan caches of each gateway.
    for (const name of order)
      await load({
        url: gateways[name].url,
        query: HOME_FEED_QUERY,
        tokens,
        connections: config.connections,
        seconds: 2,
      });
    for (let round = 0; round < config.rounds; round++) {
      const rotated = [...order.slice(round % 3), ...order.slice(0, round % 3)];
      for (const name of rotated) {
        const result = await load({
          url: gateways[name].url,
          query: HOME_FEED_QUERY,
          tokens,
          connections: config.connections,
          seconds: config.seconds,
          timeoutSeconds: 30,
        });
        runs[name].push(result);
        say(
          `gateways round ${round + 1} ${name.padEnd(5)}: ${result.requestsPerSecond} req/s, p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms, errors ${result.errors}, RSS ${gateways[name].memory().rssMiB.toFixed(0)} MiB`,
        );
      }
    }
    const stats = (['ours', 'stock', 'hive'] as const).map(
      (name): GatewayStats => ({
        name,
        description: GATEWAY_DESCRIPTIONS[name],
        runs: runs[name],
        requestsPerSecond: median(runs[name].map((run) => run.requestsPerSecond)),
        p50Ms: median(runs[name].map((run) => run.p50Ms)),
        p99Ms: median(runs[name].map((run) => run.p99Ms)),
        errors: runs[name].reduce((sum, run) => sum + run.errors, 0),
        peakRssMiB: Math.round(gateways[name].memory().peakMiB),
        idleRssMiB: Math.round(idle[name]),
      }),
    );
    const by = Object.fromEntries(stats.map((stat) => [stat.name, stat])) as Record<GatewayName, GatewayStats>;
    const ratios = Object.fromEntries(
      (['stock', 'hive'] as const).map((peer) => [
        peer,
        {
          throughput: ratio(by.ours.requestsPerSecond, by[peer].requestsPerSecond),
          p99: ratio(by.ours.p99Ms, by[peer].p99Ms),
          peakRss: ratio(by.ours.peakRssMiB, by[peer].peakRssMiB),
        },
      ]),
    ) as GatewaysResult['ratios'];
    say(
      `gateways: ours ÷ stock throughput ${ratios.stock.throughput}, p99 ${ratios.stock.p99}, peak RSS ${ratios.stock.peakRss}; ours ÷ hive throughput ${ratios.hive.throughput}, p99 ${ratios.hive.p99}, peak RSS ${ratios.hive.peakRss}`,
    );
    return {
      connections: config.connections,
      seconds: config.seconds,
      rounds: config.rounds,
      gateways: stats,
      ratios,
      identicalResponses,
    };
  } finally {
    for (const process of started.reverse()) await process.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
