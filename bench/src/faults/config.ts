/** Which faults a run injects, in this order (each after the previous one has healed). */
export const FAULTS = ['kill-a', 'kill-b', 'broker', 'postgres', 'ferretdb', 'partition'] as const;
export type FaultName = (typeof FAULTS)[number];

export interface FaultsConfig {
  profile: string;
  /** Registered users; every one follows every writer, so each post fans out to users − 1 timelines. */
  users: number;
  /** Users posting and liking in a loop (one post and one like per round, then `writerPauseMs`). */
  writers: number;
  writerPauseMs: number;
  /** Users reading their homeFeed in a closed loop. */
  readers: number;
  /** `postCreated` subscriptions through the balancer (spread over both servers by leastconn). */
  subscribers: number;
  faults: readonly FaultName[];
  /** Load before each fault, to see the steady state. */
  baselineMs: number;
  /** How long the broker is stopped, PostgreSQL is stopped and the partition lasts. */
  brokerDownMs: number;
  postgresDownMs: number;
  partitionMs: number;
  /** Load after each fault has ended (at least; convergence is awaited too). */
  afterMs: number;
  /** Deadline for projections to converge after a fault ends; past it they count as not converged. */
  convergeTimeoutMs: number;
  /** The clients' request deadline: a request still unanswered after it counts as hung. */
  requestTimeoutMs: number;
}

export const FAULT_PROFILES: Record<'full' | 'small', FaultsConfig> = {
  full: {
    profile: 'full',
    // Sized so the projections keep up between faults on a shared 2-core machine: the first run, with
    // 4 writers pausing 0.5 s, grew the feed queue by ~1 event/s even before the broker fault.
    users: 24,
    writers: 3,
    writerPauseMs: 1_000,
    readers: 4,
    subscribers: 200,
    faults: FAULTS,
    baselineMs: 5_000,
    brokerDownMs: 15_000,
    postgresDownMs: 10_000,
    partitionMs: 15_000,
    afterMs: 10_000,
    convergeTimeoutMs: 90_000,
    requestTimeoutMs: 15_000,
  },
  // `npm test`'s profile: a server kill and a broker restart with few clients, bounded in time.
  small: {
    profile: 'small',
    users: 8,
    writers: 2,
    writerPauseMs: 500,
    readers: 2,
    subscribers: 10,
    faults: ['kill-a', 'broker'],
    baselineMs: 2_000,
    brokerDownMs: 8_000,
    postgresDownMs: 5_000,
    partitionMs: 8_000,
    afterMs: 3_000,
    convergeTimeoutMs: 45_000,
    requestTimeoutMs: 15_000,
  },
};
