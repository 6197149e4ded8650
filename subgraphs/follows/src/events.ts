import type { EventConsumer } from '@micropost/server';
import type { UserDirectory } from './user-directory.ts';

/**
 * Keeps the directory of known users from `user.registered` (queue `follows.users`, shared by every
 * server). Idempotent: the directory upserts, so a redelivered or republished event changes nothing.
 */
export function userRegistrations(directory: UserDirectory): EventConsumer {
  return {
    name: 'users',
    bindings: ['user.registered'],
    handle: async (event) => {
      if (event.type !== 'user.registered') return;
      const registeredAt = new Date(event.data.createdAt);
      await directory.recordRegistration(
        event.data.userId,
        Number.isNaN(registeredAt.getTime()) ? new Date(event.occurredAt) : registeredAt,
      );
    },
  };
}
