import { setTimeout as sleep } from 'node:timers/promises';
import type { Collection, Db } from 'mongodb';
import { parseObjectId, shardBy, upsertOne, type ObjectId, type ShardKeys } from '@micropost/mongo';

/**
 * A user this subgraph knows exists: its projection of `user.registered` (it never reads the
 * users database). Where it lives in a sharded cluster: `UserDirectory.shardKeys`.
 */
export interface KnownUserDocument {
  /** The user's id. */
  _id: ObjectId;
  registeredAt: Date;
}

export interface UserDirectoryOptions {
  /** An unknown id younger than this may still have its `user.registered` on the way; default 60 s. */
  recentMs?: number;
  /** How long to wait for such a registration to arrive before answering "no such user"; default 5 s. */
  waitMs?: number;
}

const DEFAULT_RECENT_MS = 60_000;
const DEFAULT_WAIT_MS = 5_000;
const FIRST_POLL_MS = 20;
const MAX_POLL_MS = 250;

/** The only code that touches the `known_users` collection. */
export class UserDirectory {
  private readonly recentMs: number;
  private readonly waitMs: number;

  private constructor(
    readonly knownUsers: Collection<KnownUserDocument>,
    options: UserDirectoryOptions,
  ) {
    this.recentMs = options.recentMs ?? DEFAULT_RECENT_MS;
    this.waitMs = options.waitMs ?? DEFAULT_WAIT_MS;
  }

  static readonly shardKeys: ShardKeys = {
    known_users: shardBy({ _id: 'hashed' }, 'looked up and recorded by user id only'),
  };

  /** `known_users` is only ever read by `_id`: the default index serves it. */
  static async open(db: Db, options: UserDirectoryOptions = {}): Promise<UserDirectory> {
    return new UserDirectory(db.collection<KnownUserDocument>('known_users'), options);
  }

  /** Records a registration. Idempotent: a replayed or duplicated event changes nothing. */
  async recordRegistration(userId: string, registeredAt: Date): Promise<void> {
    const _id = parseObjectId(userId);
    if (_id === null) return; // not an id this system issues: nothing anyone could follow
    await upsertOne(this.knownUsers, { _id }, { $setOnInsert: { registeredAt } });
  }

  /**
   * Whether the user exists, without a false "no" for someone who registered a moment ago.
   *
   * The projection is eventually consistent: `register` returns as soon as the users subgraph has
   * stored the account and its `user.registered` event in its outbox, and the event reaches us via
   * the outbox relay and RabbitMQ some milliseconds later. A client that registers and immediately
   * gets followed could otherwise see NOT_FOUND. User ids are ObjectIds, whose first 4 bytes are
   * the second they were created: an id missing from the projection whose time is recent (within
   * `recentMs`, either way, to allow for clock skew between servers) may belong to a registration
   * still in flight, so we poll the projection for up to `waitMs` before answering "no". An older
   * id cannot be in flight (the relay publishes within moments; only an outage longer than a minute
   * could delay it), so it is answered at once, and clients cannot make us wait by sending made-up
   * old ids. A made-up *recent* id costs its caller the wait, not us more than a few polls.
   */
  async exists(userId: ObjectId, now = Date.now()): Promise<boolean> {
    if (await this.isKnown(userId)) return true;
    if (Math.abs(now - userId.getTimestamp().getTime()) > this.recentMs) return false;
    const deadline = Date.now() + this.waitMs;
    for (let pause = FIRST_POLL_MS; Date.now() < deadline; pause = Math.min(pause * 2, MAX_POLL_MS)) {
      await sleep(Math.min(pause, Math.max(0, deadline - Date.now())));
      if (await this.isKnown(userId)) return true;
    }
    return false;
  }

  private async isKnown(userId: ObjectId): Promise<boolean> {
    return (await this.knownUsers.findOne({ _id: userId }, { projection: { _id: 1 } })) !== null;
  }
}
