import type { Db } from 'mongodb';
import { RateLimiterMemory, RateLimiterMongo, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { z } from '@micropost/config';
import type { Logger } from '@micropost/logger';
import { shardBy, type ShardKeys } from '@micropost/mongo';
import { RateLimitedError } from '@micropost/server';

const points = z.coerce.number().int().positive();

/**
 * Per-address and per-account allowances, shared by every server through one MongoDB collection
 * (a client gets no more by using both servers). Windows are fixed; the counts are variables. The
 * defaults leave the tests and an ordinary client far below them; the bench raises them.
 */
export const rateLimitsEnv = {
  /**
   * Requests to /graphql per client address per minute, counted at the door (before the body is
   * read) by each server in memory; the balancer's stick table limits the rate across both.
   */
  RATE_LIMIT_REQUESTS_PER_MINUTE: points.default(1200),
  /** Failed logins per account per 15 minutes, then the account's logins are refused until the window ends. */
  RATE_LIMIT_LOGIN_FAILURES_PER_ACCOUNT: points.default(10),
  /** Failed logins per client address per 15 minutes (one address trying many accounts). */
  RATE_LIMIT_LOGIN_FAILURES_PER_ADDRESS: points.default(50),
  /** Accounts registered per client address per hour. */
  RATE_LIMIT_REGISTRATIONS_PER_HOUR: points.default(100),
  /** Writes (createPost, deletePost, likePost, unlikePost, follow, unfollow, updateProfile) per user per minute. */
  RATE_LIMIT_WRITES_PER_MINUTE: points.default(120),
  /** WebSocket connections opened per client address per minute. */
  RATE_LIMIT_WS_CONNECTIONS_PER_MINUTE: points.default(300),
};

type RateLimitsConfig = z.infer<z.ZodObject<typeof rateLimitsEnv>>;

/** The collection every limiter shares, in the router's database; one document per key and window. */
export const RATE_LIMIT_COLLECTION = 'rate_limits';

/** The router database's collections in a sharded cluster (`npm run shard` applies it). */
export const RATE_LIMIT_SHARD_KEYS: ShardKeys = {
  [RATE_LIMIT_COLLECTION]: shardBy(
    { key: 1 },
    'every hit reads and writes one counter by its key; ranged, as the unique key index must start with it',
  ),
};

export type LimitName = 'requests' | 'loginAccount' | 'loginAddress' | 'register' | 'writes' | 'wsConnections';

/**
 * Each limit's window and variable. `local`: counted in this process's memory, not in the shared
 * store: one store write per request measured 4 ms on FerretDB's single connection (200 concurrent
 * hits in 806 ms), which would cap a server near 250 requests/s; the door limit is a guard against
 * floods, for which per-server counting (and HAProxy's stick table in front) suffices.
 */
const WINDOWS: Record<LimitName, { seconds: number; variable: keyof RateLimitsConfig; local?: true }> = {
  requests: { seconds: 60, variable: 'RATE_LIMIT_REQUESTS_PER_MINUTE', local: true },
  loginAccount: { seconds: 15 * 60, variable: 'RATE_LIMIT_LOGIN_FAILURES_PER_ACCOUNT' },
  loginAddress: { seconds: 15 * 60, variable: 'RATE_LIMIT_LOGIN_FAILURES_PER_ADDRESS' },
  register: { seconds: 3600, variable: 'RATE_LIMIT_REGISTRATIONS_PER_HOUR' },
  writes: { seconds: 60, variable: 'RATE_LIMIT_WRITES_PER_MINUTE' },
  wsConnections: { seconds: 60, variable: 'RATE_LIMIT_WS_CONNECTIONS_PER_MINUTE' },
};

const retryAfter = (res: RateLimiterRes) => Math.max(1, Math.ceil(res.msBeforeNext / 1000));

/**
 * rate-limiter-flexible's limiters on its documented MongoDB store (`RateLimiterMongo`: one
 * `findOneAndUpdate` with `$inc` and upsert per hit, a unique index on `key`). FerretDB 1.24 has no
 * TTL indexes, so expired documents are not relied on to disappear: the library replaces an
 * expired document on the next hit of its key (its duplicate-key path), and `sweep()` deletes
 * expired ones periodically. When the store fails, each limiter falls back to an in-memory one of
 * the same size (the library's insurance limiter): limits then hold per server instead of failing
 * requests.
 */
export class RateLimits {
  readonly #limiters: Record<LimitName, RateLimiterAbstract>;

  private constructor(
    limiters: Record<LimitName, RateLimiterAbstract>,
    private readonly db: Db | null,
  ) {
    this.#limiters = limiters;
  }

  /** On `db` (shared by the servers), or in memory when there is none (a router without MONGO_URL). */
  static async create(config: RateLimitsConfig, db: Db | null, logger: Logger): Promise<RateLimits> {
    if (db) {
      const collection = db.collection(RATE_LIMIT_COLLECTION);
      await collection.createIndex({ key: 1 }, { unique: true });
      // MongoDB drops expired counters by itself; FerretDB 1.24 accepts no TTL index (sweep() covers it).
      await collection.createIndex({ expire: 1 }, { expireAfterSeconds: 0 }).catch((err: unknown) => {
        logger.debug({ err }, 'no TTL index for rate limits; expired counters are swept instead');
      });
    }
    const limiters = Object.fromEntries(
      Object.entries(WINDOWS).map(([name, { seconds, variable, local }]) => {
        const options = { keyPrefix: name, points: config[variable], duration: seconds };
        const limiter =
          db && !local
            ? new RateLimiterMongo({
                ...options,
                storeClient: db,
                tableName: RATE_LIMIT_COLLECTION,
                disableIndexesCreation: true,
                insuranceLimiter: new RateLimiterMemory(options),
              })
            : new RateLimiterMemory(options);
        return [name, limiter];
      }),
    ) as unknown as Record<LimitName, RateLimiterAbstract>;
    return new RateLimits(limiters, db);
  }

  /** Counts one hit (or `weight`) for `key`; the refusal when the allowance is spent. */
  async consume(name: LimitName, key: string, weight = 1): Promise<RateLimitedError | null> {
    try {
      await this.#limiters[name].consume(key, weight);
      return null;
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) return new RateLimitedError(retryAfter(rejection));
      throw rejection;
    }
  }

  /** The refusal when `key` has already spent its allowance, without counting a hit (a login about to be tried). */
  async blocked(name: LimitName, key: string): Promise<RateLimitedError | null> {
    const limiter = this.#limiters[name];
    const res = await limiter.get(key);
    return res && res.consumedPoints >= limiter.points ? new RateLimitedError(retryAfter(res)) : null;
  }

  /** Counts a hit that must not fail the request it comes from (a failed login is answered as such). */
  async penalise(name: LimitName, key: string): Promise<void> {
    await this.#limiters[name].penalty(key, 1);
  }

  /** Forgets `key` (an account that logged in successfully starts afresh). */
  async reset(name: LimitName, key: string): Promise<void> {
    await this.#limiters[name].delete(key);
  }

  /** Deletes expired counters: what a TTL index does on MongoDB. */
  async sweep(): Promise<number> {
    if (!this.db) return 0;
    const { deletedCount } = await this.db
      .collection(RATE_LIMIT_COLLECTION)
      .deleteMany({ expire: { $lte: new Date() } });
    return deletedCount;
  }
}
