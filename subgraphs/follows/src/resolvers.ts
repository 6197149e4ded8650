import { parseObjectId, type ObjectId } from '@micropost/mongo';
import {
  BadUserInputError,
  NotFoundError,
  readPage,
  requireViewer,
  toConnection,
  UnauthenticatedError,
} from '@micropost/server';
import type { Resolvers } from './__generated__/resolvers-types.ts';
import type { FollowsContext, UserReference } from './context.ts';
import type { FollowDocument } from './follow-store.ts';

function requireViewerId(context: FollowsContext): ObjectId {
  const viewerId = parseObjectId(requireViewer(context));
  // The router only forwards identities the users subgraph issued, whose ids are ObjectIds.
  if (!viewerId) throw new UnauthenticatedError('Your sign-in is not valid.');
  return viewerId;
}

/** The target of follow/unfollow: a well-formed id, not the viewer, of a user who exists. */
async function requireOtherUser(context: FollowsContext, viewerId: ObjectId, userId: string): Promise<ObjectId> {
  const targetId = parseObjectId(userId);
  if (!targetId) throw new BadUserInputError('That is not a valid user id.');
  if (targetId.equals(viewerId)) throw new BadUserInputError('You cannot follow yourself.');
  if (!(await context.directory.exists(targetId))) throw new NotFoundError('There is no such user.');
  return targetId;
}

const reference = (id: ObjectId): UserReference => ({ id: id.toHexString() });
const position = (edge: FollowDocument) => ({ at: edge.createdAt, id: edge._id.toHexString() });

export const resolvers: Resolvers = {
  Mutation: {
    follow: async (_parent, { userId }, context) => {
      const viewerId = requireViewerId(context);
      const targetId = await requireOtherUser(context, viewerId, userId);
      await context.store.follow(viewerId, targetId, context.requestId);
      return reference(targetId);
    },
    unfollow: async (_parent, { userId }, context) => {
      const viewerId = requireViewerId(context);
      const targetId = await requireOtherUser(context, viewerId, userId);
      await context.store.unfollow(viewerId, targetId, context.requestId);
      return reference(targetId);
    },
  },

  User: {
    // Any id the graph hands us is a user as far as the follow graph goes: one with no edges has
    // empty lists and zero counts, so resolving a reference needs no query.
    __resolveReference: (user) => ({ id: user.id }),
    followers: async (user, args, context) => {
      const page = readPage(args);
      const edges = await context.followerPages.load({ parentId: user.id, page });
      return toConnection(edges, page, position, (edge) => reference(edge.followerId));
    },
    following: async (user, args, context) => {
      const page = readPage(args);
      const edges = await context.followingPages.load({ parentId: user.id, page });
      return toConnection(edges, page, position, (edge) => reference(edge.followeeId));
    },
    followerCount: async (user, _args, context) => (await context.countsByUser.load(user.id)).followers,
    followingCount: async (user, _args, context) => (await context.countsByUser.load(user.id)).following,
    viewerFollows: (user, _args, context) => context.viewerFollows?.load(user.id) ?? false,
  },
};
