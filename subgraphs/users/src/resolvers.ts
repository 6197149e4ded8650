import { hashPassword, verifyPassword } from '@micropost/auth';
import { BadUserInputError, DateTimeScalar, requireViewer, UnauthenticatedError } from '@micropost/server';
import type { Resolvers } from './__generated__/resolvers-types.ts';
import type { UsersContext } from './context.ts';
import type { ProfilePatch, UserDocument } from './store.ts';
import {
  normalizeHandle,
  requireAvatarUrl,
  requireBio,
  requireDisplayName,
  requireHandle,
  requirePassword,
} from './profile-rules.ts';

/** The same error for an unknown handle and a wrong password, so sign-in cannot probe for accounts. */
const WRONG_CREDENTIALS = 'Wrong handle or password.';

async function authPayload(context: UsersContext, user: UserDocument) {
  return { token: await context.tokens.issue(user._id.toHexString()), user };
}

export const resolvers: Resolvers = {
  DateTime: DateTimeScalar,

  Query: {
    me: (_parent, _args, context) => (context.viewer ? context.userById.load(context.viewer.userId) : null),
    user: (_parent, { id, handle }, context) => {
      if ((id == null) === (handle == null)) throw new BadUserInputError('Give exactly one of id and handle.');
      if (id != null) return context.userById.load(id);
      const normalized = normalizeHandle(handle!);
      return normalized === null ? null : context.store.findByHandle(normalized);
    },
  },

  Mutation: {
    register: async (_parent, { handle, password, displayName }, context) => {
      const normalized = requireHandle(handle);
      const user = await context.store.create(
        {
          handle: normalized,
          displayName: displayName == null ? normalized : requireDisplayName(displayName),
          passwordHash: await hashPassword(requirePassword(password)),
        },
        context.requestId,
      );
      context.logger.info({ userId: user._id.toHexString() }, 'registered');
      return authPayload(context, user);
    },

    login: async (_parent, { handle, password }, context) => {
      const normalized = normalizeHandle(handle);
      const user = normalized === null ? null : await context.store.findByHandle(normalized);
      const matches = await verifyPassword(user?.passwordHash ?? null, password);
      if (!user || !matches) throw new UnauthenticatedError(WRONG_CREDENTIALS);
      return authPayload(context, user);
    },

    updateProfile: async (_parent, { displayName, bio, avatarUrl }, context) => {
      const userId = requireViewer(context);
      const patch: ProfilePatch = {};
      if (displayName != null) patch.displayName = requireDisplayName(displayName);
      if (bio != null) patch.bio = requireBio(bio);
      if (avatarUrl != null) patch.avatarUrl = requireAvatarUrl(avatarUrl);
      return context.store.updateProfile(userId, patch, context.requestId);
    },
  },

  User: {
    __resolveReference: (reference, context) => context.userById.load(reference.id),
    id: (user) => user._id.toHexString(),
  },
};
