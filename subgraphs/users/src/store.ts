import type { Collection, Db } from 'mongodb';
import { createEvent, ensureOutboxIndex, outboxFields, withOutbox, type OutboxFields } from '@micropost/events';
import { findByIds, insertIfAbsent, parseObjectId, ObjectId, unsharded, type ShardKeys } from '@micropost/mongo';
import { ConflictError, NotFoundError } from '@micropost/server';

/** An account. Where it lives in a sharded cluster: `UserStore.shardKeys`. */
export interface UserDocument extends Partial<OutboxFields> {
  _id: ObjectId;
  /** Lowercase, unique. */
  handle: string;
  displayName: string;
  bio: string;
  avatarUrl: string | null;
  passwordHash: string;
  createdAt: Date;
  /** Bumped by every profile change; `user.updated` carries it so consumers can drop stale updates. */
  revision: number;
}

export interface ProfilePatch {
  displayName?: string;
  bio?: string;
  avatarUrl?: string | null;
}

/** Concurrent edits of one profile retry this often before giving up. */
const MAX_UPDATE_ATTEMPTS = 5;

/** The only code that touches the `users` collection. */
export class UserStore {
  private constructor(
    readonly users: Collection<UserDocument>,
    private readonly afterWrite: () => void,
  ) {}

  static readonly shardKeys: ShardKeys = {
    users: unsharded(
      'looked up by _id (entity batches) and by the unique handle (login): a hashed _id key cannot keep the handle ' +
        'unique and a handle key would broadcast every _id batch; one small document per account fits one shard ' +
        'into the tens of millions (beyond: a `handles` collection keyed by handle, then _id hashed)',
    ),
  };

  static async open(db: Db, afterWrite: () => void): Promise<UserStore> {
    const users = db.collection<UserDocument>('users');
    await users.createIndex({ handle: 1 }, { unique: true, name: 'handle_unique' });
    await ensureOutboxIndex(users);
    return new UserStore(users, afterWrite);
  }

  /** Inserts the account and its `user.registered` event in one write; a taken handle is CONFLICT. */
  async create(
    input: { handle: string; displayName: string; passwordHash: string },
    requestId: string,
  ): Promise<UserDocument> {
    const _id = new ObjectId();
    const createdAt = new Date();
    const event = createEvent(
      'user.registered',
      {
        userId: _id.toHexString(),
        handle: input.handle,
        displayName: input.displayName,
        createdAt: createdAt.toISOString(),
      },
      { requestId },
    );
    const user: UserDocument = {
      _id,
      ...input,
      bio: '',
      avatarUrl: null,
      createdAt,
      revision: 1,
      ...outboxFields([event]),
    };
    if (!(await insertIfAbsent(this.users, user))) throw new ConflictError(`The handle "${input.handle}" is taken.`);
    this.afterWrite();
    return user;
  }

  /** One query for a whole batch; results line up with `ids` (null where there is no such user). */
  async findByIds(ids: readonly string[]): Promise<(UserDocument | null)[]> {
    const objectIds = ids.map(parseObjectId).filter((id): id is ObjectId => id !== null);
    const found = await findByIds(this.users, objectIds);
    const byId = new Map(found.map((user) => [user._id.toHexString(), user]));
    return ids.map((id) => byId.get(id.toLowerCase()) ?? null);
  }

  findByHandle(handle: string): Promise<UserDocument | null> {
    return this.users.findOne({ handle });
  }

  /**
   * Applies the patch and queues `user.updated` with the resulting profile, in one write. The
   * write is conditional on the revision read, so the event always describes what was stored.
   */
  async updateProfile(userId: string, patch: ProfilePatch, requestId: string): Promise<UserDocument> {
    const _id = parseObjectId(userId);
    for (let attempt = 0; attempt < MAX_UPDATE_ATTEMPTS; attempt++) {
      const current = _id && (await this.users.findOne({ _id }));
      if (!current) throw new NotFoundError('That account no longer exists.');
      const next = { ...pickProfile(current), ...patch, revision: current.revision + 1 };
      const event = createEvent('user.updated', { userId, handle: current.handle, ...next }, { requestId });
      const updated = await this.users.findOneAndUpdate(
        { _id, revision: current.revision },
        withOutbox({ $set: next }, [event]),
        { returnDocument: 'after' },
      );
      if (updated) {
        this.afterWrite();
        return updated;
      }
    }
    throw new Error(`profile of ${userId} changed concurrently ${MAX_UPDATE_ATTEMPTS} times in a row`);
  }
}

function pickProfile({ displayName, bio, avatarUrl }: UserDocument): Required<ProfilePatch> {
  return { displayName, bio, avatarUrl };
}
