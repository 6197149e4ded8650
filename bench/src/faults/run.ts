import { startTcpProxy, type TcpProxy } from '@micropost/testing';
import { machineInfo, type MachineInfo } from '../machine.ts';
import { say, sleep } from '../progress.ts';
import { SERVER_ENTRY, settleQueues, startNodeProcess, startStack, type NodeProcess, type Stack } from '../stack.ts';
import { FAULT_PROFILES, type FaultName, type FaultsConfig } from './config.ts';
import { Subscribers } from './subscribers.ts';
import { DOCUMENTED_CODES, Traffic, createUsers, type RequestRecord } from './traffic.ts';
import { Verifier, missingCount, type Missing } from './verify.ts';

export interface FaultOutcome {
  fault: FaultName;
  description: string;
  /** From injection until the faulty part was back (a restarted server healthy, the broker answering…). */
  faultMs: number;
  requests: number;
  failed: number;
  /** Failed requests by kind (documented code, INTERNAL_SERVER_ERROR, HTTP <status>, TRANSPORT, TIMEOUT). */
  failedByKind: Record<string, number>;
  /** First failed request sent → last failed request answered; 0 when none failed. */
  errorWindowMs: number;
  /** Failures without a documented code (driver text, balancer pages, resets, timeouts), with samples. */
  unclean: number;
  uncleanSamples: string[];
  /** Requests unanswered at the client's deadline. */
  hung: number;
  /** Slowest answer to a failed request, ms. */
  slowestFailureMs: number;
  ackedPosts: number;
  ackedLikes: number;
  /** Acknowledged writes still missing somewhere at the end of the run (must be 0). */
  lost: number;
  lostDetail: Missing;
  /** Time after the fault ended until every write acknowledged by then had reached each projection; null = not within the deadline. */
  convergedAfterMs: { all: number | null; feed: number | null; search: number | null; counters: number | null };
  /** Posts acknowledged in this phase that a subscriber never received, summed over subscribers. */
  subscriberMissed: number;
  /** Subscriber sockets closed under their clients in this phase. */
  subscriberDisconnects: number;
  /** How long each server's /ready answered other than 200 during the phase (the balancer may drain it). */
  notReadyMs: { a: number; b: number };
  /** True when something had to be restarted beyond the faulted part itself (a server never ready again, a projection stuck). */
  manualRestartNeeded: boolean;
}

export interface FaultsResult {
  startedAt: string;
  durationSeconds: number;
  machine: MachineInfo;
  config: FaultsConfig;
  users: number;
  subscribers: number;
  faults: FaultOutcome[];
  /** Faults that could not be run, with the error. */
  failures: Record<string, string>;
}

const DESCRIPTIONS: Record<FaultName, (config: FaultsConfig) => string> = {
  'kill-a': () => 'SIGKILL of server A, restarted after 1 s (as npm start’s supervisor would)',
  'kill-b': () => 'SIGKILL of server B once A is back, restarted after 1 s',
  broker: (c) => `RabbitMQ application stopped for ${c.brokerDownMs / 1000} s, then started`,
  postgres: (c) => `PostgreSQL (FerretDB’s backend) stopped for ${c.postgresDownMs / 1000} s, then started`,
  ferretdb: () => 'FerretDB SIGKILLed and restarted at once',
  partition: (c) => `server A cut from RabbitMQ (TCP proxy refusing and resetting) for ${c.partitionMs / 1000} s`,
};

/** The supervisor's first back-off before restarting a dead server (scripts/supervisor.ts). */
const RESTART_DELAY_MS = 1_000;

export async function runFaults(options: { config?: FaultsConfig } = {}): Promise<FaultsResult> {
  const config = options.config ?? FAULT_PROFILES.full;
  const t0 = performance.now();
  const machine = machineInfo();
  const startedAt = new Date().toISOString();
  say(
    `faults, profile ${config.profile} on ${machine.cores} cores, load average ${machine.loadAverageAtStart.join(' ')}`,
  );
  let proxy: TcpProxy | undefined;
  const stack = await startStack({
    amqpUrlFor: async (server, amqpUrl) => {
      if (server !== 'a') return amqpUrl;
      const target = new URL(amqpUrl);
      proxy = await startTcpProxy(target.hostname, Number(target.port));
      return proxy.rewriteUrl(amqpUrl);
    },
  });
  const servers: { a: NodeProcess; b: NodeProcess } = { a: stack.a, b: stack.b };
  const restarted: NodeProcess[] = [];
  const failures: Record<string, string> = {};
  const outcomes: FaultOutcome[] = [];
  let traffic: Traffic | undefined;
  let subscribers: Subscribers | undefined;
  const stopOnSignal = () => void cleanup().finally(() => process.exit(130));
  const cleanup = async () => {
    await traffic?.stop().catch(() => {});
    await subscribers?.close().catch(() => {});
    for (const server of restarted) await server.stop().catch(() => {});
    await stack.stop();
    await proxy?.close();
  };
  process.once('SIGINT', stopOnSignal);
  process.once('SIGTERM', stopOnSignal);
  try {
    say(`registering ${config.users} users (${config.writers} writers, followed by everyone)…`);
    const users = await createUsers(stack.balancerUrl, config.users, config.writers);
    await settleQueues(stack, 60_000);
    const wsUrl = stack.balancerUrl.replace(/^http/, 'ws');
    say(`opening ${config.subscribers} postCreated subscriptions through the balancer…`);
    subscribers = await Subscribers.open(wsUrl, config.subscribers);
    await waitForSubscriptions(servers, config.subscribers);
    traffic = new Traffic(stack.balancerUrl, users, config);
    traffic.start();
    const verifier = new Verifier({
      url: stack.balancerUrl,
      mongo: stack.mongo,
      dbPrefix: stack.dbPrefix,
      users,
      token: users[0]!.token,
    });
    const env = (server: 'a' | 'b') =>
      server === 'a' && proxy ? { ...stack.env, AMQP_URL: proxy.rewriteUrl(stack.env.AMQP_URL!) } : stack.env;
    const restart = async (server: 'a' | 'b') => {
      await servers[server].kill('SIGKILL');
      await sleep(RESTART_DELAY_MS);
      servers[server] = await startNodeProcess(`server-${server}`, SERVER_ENTRY, env(server), {
        port: servers[server].port,
      });
      restarted.push(servers[server]);
    };
    const inject: Record<FaultName, () => Promise<void>> = {
      'kill-a': () => restart('a'),
      'kill-b': () => restart('b'),
      broker: async () => {
        const { rabbit } = requireServices(stack);
        await rabbit.stopApp();
        await sleep(config.brokerDownMs);
        await rabbit.startApp();
      },
      postgres: async () => {
        const { ferret } = requireServices(stack);
        await ferret.stopBackend();
        await sleep(config.postgresDownMs);
        await ferret.startBackend();
      },
      ferretdb: async () => {
        const { ferret } = requireServices(stack);
        await ferret.kill();
        await ferret.restart();
      },
      partition: async () => {
        if (!proxy) throw new Error('no proxy between server A and the broker');
        proxy.pause();
        await sleep(config.partitionMs);
        proxy.resume();
      },
    };

    for (const fault of config.faults) {
      say(`— fault: ${fault}`);
      try {
        outcomes.push(
          await runPhase(fault, config, {
            inject: inject[fault],
            traffic,
            subscribers,
            servers,
            verify: (posts, likes) => verifier.findMissing(posts, likes),
          }),
        );
        const last = outcomes.at(-1)!;
        say(
          `  ${fault}: ${last.failed}/${last.requests} failed over ${(last.errorWindowMs / 1000).toFixed(1)} s, converged after ${last.convergedAfterMs.all ?? '—'} ms`,
        );
      } catch (error) {
        failures[fault] = (error as Error).message;
        say(`fault ${fault} FAILED: ${(error as Error).message}`);
      }
    }
    await traffic.stop();

    // Losses are judged once, at the end, with every fault healed: each acknowledged write of each phase.
    say('final check of every acknowledged write…');
    const deadline = Date.now() + config.convergeTimeoutMs;
    let missing = await verifier.findMissing(traffic.posts, traffic.likes);
    while (missingCount(missing) > 0 && Date.now() < deadline) {
      await sleep(1_000);
      missing = await verifier.findMissing(traffic.posts, traffic.likes);
    }
    const { feedEntries: _, ...counted } = missing;
    const lostIds = new Set(Object.values(counted).flat());
    for (const outcome of outcomes) {
      const phase = phases.get(outcome)!;
      const inPhase = (at: number) => at >= phase.start && at < phase.end;
      const posts = traffic.posts.filter((post) => inPhase(post.at));
      const likes = traffic.likes.filter((like) => inPhase(like.at));
      const pick = (ids: string[]) =>
        ids.filter((id) => posts.some((post) => post.id === id) || likes.some((like) => id.endsWith(like.postId)));
      outcome.lostDetail = {
        unreadable: pick(missing.unreadable),
        feed: pick(missing.feed),
        feedEntries: (missing.feedEntries ?? []).filter((key) => posts.some((post) => key.endsWith(`/${post.id}`))),
        search: pick(missing.search),
        likes: missing.likes.filter((key) => likes.some((like) => key === `${like.userId}→${like.postId}`)),
        counters: pick(missing.counters),
      };
      const { feedEntries: __, ...lostCounted } = outcome.lostDetail;
      outcome.lost = new Set(Object.values(lostCounted).flat()).size;
      outcome.manualRestartNeeded ||= outcome.lost > 0;
      outcome.subscriberMissed = subscribers.received.reduce(
        (sum, seen) => sum + posts.filter((post) => !seen.has(post.id)).length,
        0,
      );
    }
    if (lostIds.size > 0) say(`  ${lostIds.size} writes still missing somewhere`);
    for (const outcome of outcomes)
      say(`  ${outcome.fault}: lost ${outcome.lost}, subscribers missed ${outcome.subscriberMissed} events`);
    return {
      startedAt,
      durationSeconds: Math.round((performance.now() - t0) / 1000),
      machine,
      config,
      users: users.length,
      subscribers: subscribers.count,
      faults: outcomes,
      failures,
    };
  } finally {
    process.off('SIGINT', stopOnSignal);
    process.off('SIGTERM', stopOnSignal);
    await cleanup();
  }
}

/** Each outcome's time window, for attributing writes in the final check. */
const phases = new WeakMap<FaultOutcome, { start: number; end: number }>();

function requireServices(stack: Stack) {
  if (!stack.services) throw new Error('this fault needs the stack’s own database and broker');
  return stack.services;
}

async function waitForSubscriptions(servers: { a: NodeProcess; b: NodeProcess }, expected: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const counts = await Promise.all(
      [servers.a, servers.b].map((server) =>
        fetch(`http://127.0.0.1:${server.port}/health`)
          .then((response) => response.json() as Promise<{ liveSubscriptions?: number }>)
          .then(
            (body) => body.liveSubscriptions ?? 0,
            () => 0,
          ),
      ),
    );
    if (counts[0]! + counts[1]! >= expected) {
      say(`  subscriptions: ${counts[0]} on A, ${counts[1]} on B`);
      return;
    }
    if (Date.now() > deadline) throw new Error(`only ${counts[0]! + counts[1]!} of ${expected} subscriptions are open`);
    await sleep(200);
  }
}

interface PhaseDeps {
  inject: () => Promise<void>;
  traffic: Traffic;
  subscribers: Subscribers;
  servers: { a: NodeProcess; b: NodeProcess };
  verify: (posts: Traffic['posts'], likes: Traffic['likes']) => Promise<Missing>;
}

async function runPhase(fault: FaultName, config: FaultsConfig, deps: PhaseDeps): Promise<FaultOutcome> {
  const { traffic, subscribers, servers } = deps;
  const start = Date.now();
  const disconnectsBefore = subscribers.disconnects;
  await sleep(config.baselineMs);

  // Sample both servers' readiness all along the phase.
  const notReadyMs = { a: 0, b: 0 };
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const t = Date.now();
      await Promise.all(
        (['a', 'b'] as const).map(async (name) => {
          const ok = await fetch(`http://127.0.0.1:${servers[name].port}/ready`, {
            signal: AbortSignal.timeout(1_000),
          }).then(
            async (response) => {
              await response.body?.cancel();
              return response.status === 200;
            },
            () => false,
          );
          if (!ok) notReadyMs[name] += 500;
        }),
      );
      await sleep(Math.max(0, 500 - (Date.now() - t)));
    }
  })();

  const injectedAt = Date.now();
  await deps.inject();
  const healedAt = Date.now();
  say(`  fault lasted ${((healedAt - injectedAt) / 1000).toFixed(1)} s`);

  // Convergence of what was acknowledged up to the end of the fault, polled while the load goes on.
  const posts = traffic.posts.filter((post) => post.at >= start && post.at <= healedAt);
  const likes = traffic.likes.filter((like) => like.at >= start && like.at <= healedAt);
  const converged: FaultOutcome['convergedAfterMs'] = { all: null, feed: null, search: null, counters: null };
  const deadline = healedAt + config.convergeTimeoutMs;
  let lastMissing: Awaited<ReturnType<typeof deps.verify>> | undefined;
  for (;;) {
    const missing = await deps.verify(posts, likes).catch(() => undefined);
    lastMissing = missing ?? lastMissing;
    const now = Date.now() - healedAt;
    if (missing) {
      if (converged.feed === null && missing.feed.length === 0) converged.feed = now;
      if (converged.search === null && missing.search.length === 0) converged.search = now;
      if (converged.counters === null && missing.counters.length + missing.likes.length === 0) converged.counters = now;
      if (missingCount(missing) === 0) {
        converged.all = now;
        break;
      }
    }
    if (Date.now() > deadline) {
      if (lastMissing)
        say(
          `  ${fault}: not converged after ${config.convergeTimeoutMs / 1000} s; still missing: ` +
            Object.entries(lastMissing)
              .filter(([, list]) => Array.isArray(list) && list.length > 0)
              .map(
                ([part, list]) =>
                  `${part} ${(list as unknown[]).length} (e.g. ${(list as unknown[]).slice(0, 3).join(', ')})`,
              )
              .join('; '),
        );
      break;
    }
    await sleep(1_000);
  }
  const remaining = healedAt + config.afterMs - Date.now();
  if (remaining > 0) await sleep(remaining);

  // Both servers must be ready again without anyone's help.
  let manualRestartNeeded = false;
  const readyDeadline = Date.now() + config.convergeTimeoutMs;
  for (const name of ['a', 'b'] as const) {
    while (
      !(await fetch(`http://127.0.0.1:${servers[name].port}/ready`, { signal: AbortSignal.timeout(2_000) }).then(
        (response) => response.status === 200,
        () => false,
      ))
    ) {
      if (Date.now() > readyDeadline) {
        manualRestartNeeded = true;
        break;
      }
      await sleep(500);
    }
  }
  sampling = false;
  await sampler;
  const end = Date.now();

  const records = traffic.records.filter((record) => record.t0 >= start && record.t0 < end);
  const failed = records.filter((record) => !record.ok && record.t1 >= injectedAt);
  const failedByKind: Record<string, number> = {};
  for (const record of failed) failedByKind[record.kind!] = (failedByKind[record.kind!] ?? 0) + 1;
  const unclean = failed.filter((record) => !DOCUMENTED_CODES.has(record.kind!));
  const samples = [...new Set(unclean.map((record) => `${record.op} ${record.kind}: ${record.detail ?? ''}`))].slice(
    0,
    5,
  );
  const outcome: FaultOutcome = {
    fault,
    description: DESCRIPTIONS[fault](config),
    faultMs: healedAt - injectedAt,
    requests: records.length,
    failed: failed.length,
    failedByKind,
    errorWindowMs: failed.length ? Math.max(...failed.map((r) => r.t1)) - Math.min(...failed.map((r) => r.t0)) : 0,
    unclean: unclean.length,
    uncleanSamples: samples,
    hung: failed.filter((record: RequestRecord) => record.kind === 'TIMEOUT').length,
    slowestFailureMs: failed.length ? Math.max(...failed.map((r) => r.t1 - r.t0)) : 0,
    ackedPosts: traffic.posts.filter((post) => post.at >= start && post.at < end).length,
    ackedLikes: traffic.likes.filter((like) => like.at >= start && like.at < end).length,
    lost: 0,
    lostDetail: { unreadable: [], feed: [], search: [], likes: [], counters: [] },
    convergedAfterMs: converged,
    subscriberMissed: 0,
    subscriberDisconnects: subscribers.disconnects - disconnectsBefore,
    notReadyMs,
    manualRestartNeeded: manualRestartNeeded || converged.all === null,
  };
  phases.set(outcome, { start, end });
  return outcome;
}
