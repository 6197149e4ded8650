import type { EventConsumer } from '@micropost/server';
import type { EventEnvelope } from '@micropost/events';
import type { Logger } from '@micropost/logger';
import { INDEX_PREFETCH } from './batcher.ts';
import { KeyedMutex } from './keyed-mutex.ts';
import type { PostIndex } from './post-index.ts';
import type { UserIndex } from './user-index.ts';

/** `user.registered` creates revision 1 of a profile; every `user.updated` carries a higher one. */
const REGISTERED_REVISION = 1;

function parseDate(value: string, what: string): Date {
  const date = new Date(value);
  // Thrown errors are retried a few times, then the message is dead-lettered: a bad date never heals.
  if (Number.isNaN(date.getTime())) throw new Error(`${what}: invalid date ${JSON.stringify(value)}`);
  return date;
}

/**
 * The search projection's consumers: queues `search.posts` and `search.users`, shared by every
 * server. Handlers are idempotent (replaying any event leaves the same state), tolerate any order
 * (a delete before its create leaves a tombstone; an older profile revision is ignored), and
 * serialize the events of one post or one user inside this process.
 */
export function searchConsumers(posts: PostIndex, users: UserIndex, logger: Logger): EventConsumer[] {
  const postLocks = new KeyedMutex();
  const userLocks = new KeyedMutex();

  const handlePost = async (event: EventEnvelope) => {
    switch (event.type) {
      case 'post.created': {
        const { postId, body, createdAt } = event.data;
        await postLocks.run(postId, () => posts.add(postId, parseDate(createdAt, `post.created ${postId}`), body));
        break;
      }
      case 'post.deleted': {
        const { postId, createdAt } = event.data;
        await postLocks.run(postId, () => posts.remove(postId, new Date(createdAt)));
        break;
      }
      default:
        logger.debug({ eventType: event.type }, 'ignored event');
    }
  };

  const handleUser = async (event: EventEnvelope) => {
    switch (event.type) {
      case 'user.registered': {
        const { userId, handle, displayName } = event.data;
        await userLocks.run(userId, () => users.apply(userId, handle, displayName, REGISTERED_REVISION));
        break;
      }
      case 'user.updated': {
        const { userId, handle, displayName, revision } = event.data;
        await userLocks.run(userId, () => users.apply(userId, handle, displayName, revision));
        break;
      }
      default:
        logger.debug({ eventType: event.type }, 'ignored event');
    }
  };

  return [
    { name: 'posts', bindings: ['post.created', 'post.deleted'], prefetch: INDEX_PREFETCH, handle: handlePost },
    { name: 'users', bindings: ['user.registered', 'user.updated'], prefetch: INDEX_PREFETCH, handle: handleUser },
  ];
}
