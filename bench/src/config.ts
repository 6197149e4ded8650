import type { RouterConfig } from './scenarios/router.ts';
import type { SeedSize } from './seed.ts';

export interface BenchConfig {
  profile: string;
  seed: SeedSize;
  feedRead: { concurrency: number[]; seconds: number };
  gateways: { connections: number; seconds: number; rounds: number };
  write: { connections: number; seconds: number; maxRequests: number; fanOutTimeoutMs: number };
  live: { subscribers: number[]; postsPerRun: number; deliveryTimeoutMs: number };
  search: { connections: number; seconds: number };
  resume: { resuming: number; missed: number; timeoutMs: number };
  router: RouterConfig;
}

/**
 * `full` is what `npm run bench` runs (bounded to finish well inside 15 minutes on 2 cores);
 * `smoke` is the test's tiny version of the same code paths.
 */
export const PROFILES: Record<'full' | 'smoke', BenchConfig> = {
  full: {
    profile: 'full',
    // Sized by the fan-out the issue asks for (an author with 10,000 followers) and by what the
    // projections can consume within the time budget on FerretDB (see the README's Benchmarks).
    seed: {
      users: 10_050,
      bigAuthorFollowers: 10_000,
      midAuthorFollowers: 1_000,
      followsPerUser: 0.4,
      posts: 400,
      searchWaitMs: 45_000,
      drainTimeoutMs: 420_000,
    },
    // Concurrency stays low: every request's reads are PostgreSQL scans behind FerretDB (see README).
    feedRead: { concurrency: [1, 4, 16], seconds: 10 },
    gateways: { connections: 4, seconds: 10, rounds: 2 },
    write: { connections: 4, seconds: 8, maxRequests: 100, fanOutTimeoutMs: 120_000 },
    live: { subscribers: [100, 1_000, 5_000], postsPerRun: 2, deliveryTimeoutMs: 30_000 },
    search: { connections: 4, seconds: 8 },
    resume: { resuming: 1_000, missed: 20, timeoutMs: 180_000 },
    // In-memory subgraphs: the gateways' own cost, so enough connections to saturate them.
    router: { connections: [16, 64], seconds: 8, rounds: 3, overheadRequests: 150 },
  },
  smoke: {
    profile: 'smoke',
    seed: {
      users: 40,
      bigAuthorFollowers: 20,
      midAuthorFollowers: 5,
      followsPerUser: 2,
      posts: 30,
      searchWaitMs: 30_000,
      drainTimeoutMs: 120_000,
    },
    feedRead: { concurrency: [1, 4], seconds: 1 },
    gateways: { connections: 4, seconds: 1, rounds: 1 },
    write: { connections: 2, seconds: 1, maxRequests: 20, fanOutTimeoutMs: 30_000 },
    live: { subscribers: [10, 30], postsPerRun: 1, deliveryTimeoutMs: 20_000 },
    search: { connections: 2, seconds: 1 },
    resume: { resuming: 20, missed: 5, timeoutMs: 60_000 },
    router: { connections: [4], seconds: 1, rounds: 1, overheadRequests: 10 },
  },
};
