import { PROFILES, type BenchConfig } from './config.ts';
import { machineInfo, type MachineInfo } from './machine.ts';
import { say } from './progress.ts';
import { feedRead, type FeedReadResult } from './scenarios/feed-read.ts';
import { gatewaysSideBySide, type GatewaysResult } from './scenarios/gateways.ts';
import { liveDelivery, type LiveRun } from './scenarios/live.ts';
import { resumeStampede, type ResumeResult } from './scenarios/resume.ts';
import { routerIsolation, type RouterResult } from './scenarios/router.ts';
import { search, type SearchResult } from './scenarios/search.ts';
import { writeAndFanOut, type WriteFanOutResult } from './scenarios/fanout.ts';
import { seed, type SeedResult } from './seed.ts';
import { startStack, type ExternalServices } from './stack.ts';

export type ScenarioName = 'feed' | 'gateways' | 'write' | 'live' | 'search' | 'resume' | 'router';
export const SCENARIOS: ScenarioName[] = ['feed', 'gateways', 'write', 'live', 'search', 'resume', 'router'];
/** Scenarios that need no database, broker or servers (`--only router` starts none of them). */
const STANDALONE = new Set<ScenarioName>(['router']);

export interface BenchResult {
  startedAt: string;
  durationSeconds: number;
  machine: MachineInfo;
  config: BenchConfig;
  /** Absent when only standalone scenarios ran. */
  seed?: Omit<SeedResult, 'all' | 'readers' | 'bigAuthor' | 'midAuthor' | 'words' | 'tags' | 'namePrefixes'> & {
    readers: number;
  };
  feedRead?: FeedReadResult;
  gateways?: GatewaysResult;
  write?: WriteFanOutResult;
  live?: LiveRun[];
  search?: SearchResult;
  resume?: ResumeResult;
  router?: RouterResult;
  /** Scenarios that failed, with their error; the others still report. */
  failures: Record<string, string>;
}

export async function runBench(
  options: { config?: BenchConfig; external?: ExternalServices; only?: ScenarioName[]; serverNodeArgs?: string[] } = {},
): Promise<BenchResult> {
  const config = options.config ?? PROFILES.full;
  const only = new Set(options.only ?? SCENARIOS);
  const t0 = performance.now();
  const startedAt = new Date().toISOString();
  const machine = machineInfo();
  say(
    `profile ${config.profile} on ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}, load average ${machine.loadAverageAtStart.join(' ')}`,
  );
  const failures: Record<string, string> = {};
  const result: BenchResult = { startedAt, durationSeconds: 0, machine, config, failures };
  const attempt = async <T>(name: ScenarioName, run: () => Promise<T>): Promise<T | undefined> => {
    if (!only.has(name)) return undefined;
    say(`— scenario: ${name}`);
    try {
      return await run();
    } catch (error) {
      failures[name] = (error as Error).message;
      say(`scenario ${name} FAILED: ${(error as Error).message}`);
      return undefined;
    }
  };
  if ([...only].some((name) => !STANDALONE.has(name))) {
    const stack = await startStack({
      ...(options.external ? { external: options.external } : {}),
      ...(options.serverNodeArgs ? { serverNodeArgs: options.serverNodeArgs } : {}),
    });
    const stopOnSignal = () => void stack.stop().finally(() => process.exit(130));
    process.once('SIGINT', stopOnSignal);
    process.once('SIGTERM', stopOnSignal);
    try {
      const seeded = await seed(stack, config.seed);
      result.seed = {
        size: seeded.size,
        users: seeded.users,
        follows: seeded.follows,
        posts: seeded.posts,
        timelineEntries: seeded.timelineEntries,
        purged: seeded.purged,
        backlog: seeded.backlog,
        seconds: seeded.seconds,
        method: seeded.method,
        readers: seeded.readers.length,
      };
      result.feedRead = await attempt('feed', () => feedRead(stack, seeded, config.feedRead));
      result.search = await attempt('search', () => search(stack, seeded, config.search));
      result.gateways = await attempt('gateways', () => gatewaysSideBySide(stack, seeded, config.gateways));
      result.live = await attempt('live', () => liveDelivery(stack, seeded, config.live));
      result.write = await attempt('write', () => writeAndFanOut(stack, seeded, config.write));
      result.resume = await attempt('resume', () => resumeStampede(stack, seeded, config.resume));
    } finally {
      process.off('SIGINT', stopOnSignal);
      process.off('SIGTERM', stopOnSignal);
      await stack.stop();
    }
  }
  // After the stack is gone: the router alone, with the machine to itself as far as this run goes.
  result.router = await attempt('router', () => routerIsolation(config.router));
  result.durationSeconds = Math.round((performance.now() - t0) / 1000);
  say(`done in ${result.durationSeconds} s`);
  return result;
}
